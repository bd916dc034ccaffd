#!/usr/bin/env python3
"""A tiny stand-in for an app, for scripts/make-demo: it resolves a name with the
system resolver (inside `ip netns exec NS`, that is /etc/netns/NS/resolv.conf),
then talks to the first IPv4 address it got, the way apps do that leave no name
on the wire except in their DNS query:

  https  TLS, then one HTTP/1.1 request (GET, or POST of --body as JSON). SNI
         is sent unless --no-sni: an app that connects by address sends none.
  tcp    plain TCP: sends --body as bytes (hex) and reads what comes back.

Usage: app_client.py https NAME PATH [--port N] [--cafile F] [--no-sni] [--body JSON]
       app_client.py tcp NAME --port N --body HEX
Python 3 standard library only.
"""

import argparse
import socket
import ssl
import sys

TIMEOUT = 10


def resolve(name, port):
    infos = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)
    if not infos:
        sys.exit(f"app_client: {name}: no IPv4 address")
    return infos[0][4]


def read_all(sock):
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def https(args):
    ctx = ssl.create_default_context(cafile=args.cafile)
    # Without SNI there is no name to check the certificate against; the chain is still verified.
    ctx.check_hostname = not args.no_sni
    addr = resolve(args.name, args.port or 443)
    method = "POST" if args.body is not None else "GET"
    body = (args.body or "").encode()
    head = [f"{method} {args.path} HTTP/1.1", f"Host: {args.name}",
            "User-Agent: tattle-demo-app/1.0", "Accept: */*", "Connection: close"]
    if args.body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    with socket.create_connection(addr, timeout=TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname=None if args.no_sni else args.name) as tls:
            tls.sendall(request)
            status = read_all(tls).split(b"\r\n", 1)[0].decode(errors="replace")
    print(f"app_client: {args.name} ({addr[0]}): {status}")


def tcp(args):
    payload = bytes.fromhex(args.body)
    addr = resolve(args.name, args.port)
    with socket.create_connection(addr, timeout=TIMEOUT) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        answer = read_all(sock)
    print(f"app_client: {args.name} ({addr[0]}): sent {len(payload)} bytes, got {len(answer)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["https", "tcp"])
    parser.add_argument("name")
    parser.add_argument("path", nargs="?", default="/")
    parser.add_argument("--port", type=int)
    parser.add_argument("--cafile")
    parser.add_argument("--no-sni", action="store_true")
    parser.add_argument("--body")
    args = parser.parse_args()
    if args.mode == "tcp" and (args.port is None or args.body is None):
        parser.error("tcp needs --port and --body")
    try:
        (https if args.mode == "https" else tcp)(args)
    except (OSError, ValueError) as e:
        sys.exit(f"app_client: {args.name}: {e}")


if __name__ == "__main__":
    main()
