#!/usr/bin/env python3
"""Writes the seed corpora of the HTTP fuzz targets (fuzz/corpus/{http1,http2,content_coding}/).

Messages are written here from fields; HTTP/2 header blocks are RFC 7541's examples (Appendix
C.4 and C.6); bodies are coded with zlib (Python's) and with Debian's libbrotlienc and libzstd
through ctypes. Run from anywhere:
    python3 fuzz/gen_http_corpus.py
"""
import ctypes
import ctypes.util
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def gzip(data):
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    return z.compress(data) + z.flush()


def deflate(data, raw=False):
    z = zlib.compressobj(6, zlib.DEFLATED, -15 if raw else 15)
    return z.compress(data) + z.flush()


def brotli(data):
    lib = ctypes.CDLL(ctypes.util.find_library("brotlienc") or "libbrotlienc.so.1")
    size = ctypes.c_size_t(len(data) + 1024)
    out = ctypes.create_string_buffer(size.value)
    ok = lib.BrotliEncoderCompress(5, 22, 0, ctypes.c_size_t(len(data)), data, ctypes.byref(size), out)
    assert ok
    return out.raw[:size.value]


def zstd(data):
    lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
    lib.ZSTD_compress.restype = ctypes.c_size_t
    out = ctypes.create_string_buffer(len(data) + 1024)
    n = lib.ZSTD_compress(out, ctypes.c_size_t(len(out)), data, ctypes.c_size_t(len(data)), 3)
    return out.raw[:n]


def chunked(data, size=7):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x;ext=1\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\nTrailer: x\r\n\r\n"


def exchange(client, server, piece=0):
    """The fuzz input: the client's length in two bytes, a piece-size byte, then both streams."""
    return struct.pack("!HB", len(client), piece) + client + server


def frame(kind, flags, stream, payload):
    return struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream) + payload


# RFC 7541 C.4.1-C.4.3 (requests, Huffman) and C.6.1-C.6.3 (responses, a 256-byte table).
HPACK_REQUESTS = ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf",
                  "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"]
HPACK_RESPONSES = ["3fe1 01 4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b "
                   "ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3", "4883 640e ffc1 c0bf",
                   "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 "
                   "821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed "
                   "4ee5 b106 3d50 07"]


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    body = b'{"email":"alice@example.com","lat":52.52,"lon":13.405,"typed":"hello wor"}' * 4
    page = b"<html><body>" + b"tracking pixel " * 200 + b"</body></html>"
    post = (b"POST /v1/events?uid=42 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: App/1.0\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    get = b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nAccept-Encoding: gzip, br, zstd\r\n\r\n"
    head = b"HEAD / HTTP/1.1\r\nHost: www.example.com\r\n\r\n"
    put = b"PUT /up HTTP/1.1\r\nHost: up.example\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body)
    for i, (coding, coded) in enumerate([("gzip", gzip(page)), ("br", brotli(page)), ("zstd", zstd(page)),
                                         ("deflate", deflate(page))]):
        response = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                    b"Content-Encoding: %s\r\nTransfer-Encoding: chunked\r\n\r\n" % coding.encode()) + chunked(coded, 300)
        write("http1", f"get_{coding}", exchange(get, response, i * 3))
    write("http1", "pipelined", exchange(
        post + put + head + get,
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok" + b"HTTP/1.1 204 No Content\r\n\r\n" +
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n" + b"HTTP/1.0 200 OK\r\n\r\nuntil the close", 1))
    write("http1", "upgrade", exchange(
        b"GET /ws HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", 2))
    write("http1", "bare_lf", exchange(b"GET / HTTP/1.0\n\n", b"HTTP/1.0 304\n\n", 5))

    # HTTP/2 (the fuzz target adds the client's preface): SETTINGS, the three exchanges, a header
    # block split over CONTINUATION, padding, priority, DATA with gzip, RST_STREAM and GOAWAY.
    h = [bytes.fromhex(x) for x in HPACK_REQUESTS]
    r = [bytes.fromhex(x) for x in HPACK_RESPONSES]
    client = (frame(4, 0, 0, struct.pack("!HI", 1, 256)) + frame(1, 5, 1, h[0]) + frame(1, 1, 3, h[1][:3]) +
              frame(9, 4, 3, h[1][3:]) + frame(1, 0x2C, 5, b"\x02" + bytes(5) + h[2] + bytes(2)) +
              frame(0, 9, 5, b"\x03" + body + bytes(3)) + frame(8, 0, 0, struct.pack("!I", 65535)))
    zipped = gzip(page)
    server = (frame(4, 0, 0, b"") + frame(4, 1, 0, b"") + frame(1, 4, 1, r[0]) + frame(0, 1, 1, b"") +
              frame(1, 5, 3, r[1]) + frame(1, 4, 5, r[2]) + frame(0, 0, 5, zipped[:20]) + frame(0, 1, 5, zipped[20:]) +
              frame(3, 0, 7, bytes(4)) + frame(6, 0, 0, bytes(8)) + frame(7, 0, 0, bytes(8)))
    write("http2", "rfc7541_exchanges", exchange(client, server, 0))
    write("http2", "rfc7541_exchanges_pieces", exchange(client, server, 1))

    for coding, coded in [("gzip", gzip(body)), ("deflate", deflate(body)), ("deflate_raw", deflate(body, True)),
                          ("br", brotli(body)), ("zstd", zstd(body)), ("identity", body)]:
        index = ["gzip", "deflate", "br", "zstd", "identity"].index(coding.split("_")[0])
        write("content_coding", coding, bytes([index, 3]) + coded)
    # Bombs: a megabyte of zeros in a few hundred bytes.
    zeros = bytes(1 << 20)
    for coding, coded in [("gzip", gzip(zeros)), ("br", brotli(zeros)), ("zstd", zstd(zeros))]:
        write("content_coding", f"bomb_{coding}", bytes([["gzip", "deflate", "br", "zstd"].index(coding), 60]) + coded)


if __name__ == "__main__":
    main()
