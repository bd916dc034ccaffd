#!/usr/bin/env python3
"""Writes the seed corpora of the dissector fuzz targets (fuzz/corpus/{dns,tcp_payload}/).

Every message is built here from fields; nothing is copied from captures. Run from anywhere:
    python3 fuzz/gen_dissect_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def name(dotted):
    out = b""
    for label in dotted.split(".") if dotted else []:
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(ident, flags, qd, an, ns=0, ar=0):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def question(dotted, qtype=1, qclass=1):
    return name(dotted) + struct.pack("!HH", qtype, qclass)


def rr(owner, rtype, rdata, ttl=300):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


PTR_Q = b"\xc0\x0c"  # the first question's name


def messages():
    yield "query_a", header(0x1234, 0x0100, 1, 0) + question("www.example.com")
    cname_target = name("edge.cdn.example")
    m = header(0x1234, 0x8180, 1, 2) + question("www.example.com")
    m += rr(PTR_Q, 5, cname_target)
    edge = len(m) - len(cname_target)
    m += rr(struct.pack("!H", 0xC000 | edge), 1, bytes([192, 0, 2, 7]))
    yield "response_cname_a", m
    yield "response_aaaa", (header(7, 0x8180, 1, 1) + question("v6.example", 28)
                            + rr(PTR_Q, 28, bytes.fromhex("20010db8000000000000000000000001")))
    svc = struct.pack("!H", 1) + b"\0" + struct.pack("!HH", 1, 3) + b"\x02h2"
    svc += struct.pack("!HH", 4, 8) + bytes([192, 0, 2, 1, 192, 0, 2, 2])
    svc += struct.pack("!HH", 6, 16) + bytes.fromhex("20010db8000000000000000000000002")
    yield "response_https", header(9, 0x8180, 1, 1) + question("example.com", 65) + rr(PTR_Q, 65, svc)
    yield "response_mx_ptr", (header(10, 0x8180, 1, 2) + question("example.org", 15)
                              + rr(PTR_Q, 15, struct.pack("!H", 10) + name("mail.example.org"))
                              + rr(PTR_Q, 12, name("host.example.org")))
    yield "nxdomain", header(11, 0x8183, 1, 0) + question("nosuch.example")
    mdns = header(0, 0x0000, 3, 0)
    for q in ("_ipp._tcp.local", "_ipps._tcp.local", "printer.local"):
        mdns += question(q, 12, 0x8001)
    yield "mdns_questions", mdns
    yield "pointer_loop", header(1, 0x0100, 1, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
    yield "truncated_answer", (header(12, 0x8180, 1, 1) + question("cut.example") + rr(PTR_Q, 1, b"\x01\x02\x03\x04"))[:-2]
    yield "odd_labels", header(13, 0x0100, 1, 0) + b"\x03a.\x07\x02b \x00" + struct.pack("!HH", 1, 1)


def client_hello(sni=b"www.example.com", alpn=(b"h2", b"http/1.1"), versions=(0x1A1A, 0x0304, 0x0303), extra=b""):
    """A ClientHello body: GREASE and real ciphers, SNI, ALPN, supported_versions, sigalgs."""
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\x00"
    ciphers = (0x1A1A, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F)
    body += struct.pack("!H", 2 * len(ciphers)) + b"".join(struct.pack("!H", c) for c in ciphers) + b"\x01\x00"
    exts = b""
    if sni is not None:
        entry = b"\x00" + struct.pack("!H", len(sni)) + sni
        exts += struct.pack("!HH", 0, len(entry) + 2) + struct.pack("!H", len(entry)) + entry
    if alpn:
        names = b"".join(bytes([len(a)]) + a for a in alpn)
        exts += struct.pack("!HH", 16, len(names) + 2) + struct.pack("!H", len(names)) + names
    vs = b"".join(struct.pack("!H", v) for v in versions)
    exts += struct.pack("!HH", 43, len(vs) + 1) + bytes([len(vs)]) + vs
    sig = b"".join(struct.pack("!H", v) for v in (0x0403, 0x0804, 0x0401))
    exts += struct.pack("!HH", 13, len(sig) + 2) + struct.pack("!H", len(sig)) + sig + extra
    return body + struct.pack("!H", len(exts)) + exts


def records(body, split=2):
    """The ClientHello as a handshake message in `split` TLS records."""
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    step = (len(hs) + split - 1) // split
    return b"".join(b"\x16\x03\x01" + struct.pack("!H", len(hs[i:i + step])) + hs[i:i + step]
                    for i in range(0, len(hs), step))


def tls_inputs():
    yield "hello_body", client_hello()
    yield "hello_records", records(client_hello(), 1)
    yield "hello_split", records(client_hello(), 3)
    yield "no_sni_no_alpn", records(client_hello(sni=None, alpn=(), versions=()))
    yield "odd_alpn", records(client_hello(alpn=(b"\xba\xad", b"h")))
    yield "unknown_ext", records(client_hello(extra=struct.pack("!HH", 0x4469, 3) + b"\x00\x01\x02"))
    yield "cut", records(client_hello())[:60]
    yield "http_get", b"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n\r\n"
    yield "http_pipelined", (b"POST /a HTTP/1.1\r\nHost: a.example\r\nContent-Length: 4\r\n\r\nbody"
                             b"GET /b HTTP/1.0\nHost: b.example:8080\n\n")
    yield "http_chunked", b"PUT /c HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n"
    yield "ssh_banner", b"SSH-2.0-OpenSSH_9.2p1\r\n"


def main():
    d = os.path.join(HERE, "corpus", "dns")
    os.makedirs(d, exist_ok=True)
    for label, m in messages():
        with open(os.path.join(d, label), "wb") as f:
            f.write(m)
        # The same message as DNS over TCP frames it, twice in a row.
        framed = struct.pack("!H", len(m)) + m
        with open(os.path.join(d, label + ".tcp"), "wb") as f:
            f.write(framed + framed)
    d = os.path.join(HERE, "corpus", "tcp_payload")
    os.makedirs(d, exist_ok=True)
    for label, data in tls_inputs():
        with open(os.path.join(d, label), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
