#!/usr/bin/env python3
"""Writes the seed corpora of the dissector fuzz targets (fuzz/corpus/{dns,tcp_payload,quic_initial}/).

Every message is built here from fields; nothing is copied from captures. QUIC packets are
protected here with python3-cryptography (Debian's), checked against the RFC 9001 and RFC 9369
sample packets. Run from anywhere:
    python3 fuzz/gen_dissect_corpus.py
"""
import os
import struct

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

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


QUIC_V1, QUIC_V2 = 0x00000001, 0x6B3343CF
QUIC_SALT = {QUIC_V1: bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),   # RFC 9001 §5.2
             QUIC_V2: bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")}   # RFC 9369 §3.3.1
QUIC_LABEL = {QUIC_V1: b"quic", QUIC_V2: b"quicv2"}
# Long-header type bits (RFC 9000 §17.2; RFC 9369 §3.2).
QUIC_TYPE = {QUIC_V1: {"initial": 0, "0rtt": 1, "handshake": 2}, QUIC_V2: {"initial": 1, "0rtt": 2, "handshake": 3}}
# RFC 9001 Appendix A.2 (and RFC 9369 Appendix A.2): the client's Destination Connection ID and the
# CRYPTO frame of its first Initial (packet number 2), and the tags that end the protected packets.
RFC_DCID = bytes.fromhex("8394c8f03e515708")
RFC_CRYPTO = bytes.fromhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff")
RFC_TAG = {QUIC_V1: bytes.fromhex("e221af44860018ab0856972e194cd934"),
           QUIC_V2: bytes.fromhex("a18b2faa745b6fe189cf772a9f84cbfc")}


def expand_label(secret, label, n):
    """HKDF-Expand-Label with an empty context (RFC 8446 §7.1)."""
    full = b"tls13 " + label
    info = struct.pack("!HB", n, len(full)) + full + b"\0"
    return HKDFExpand(hashes.SHA256(), n, info).derive(secret)


def quic_client_keys(version, dcid):
    mac = hmac.HMAC(QUIC_SALT[version], hashes.SHA256())
    mac.update(dcid)
    secret = expand_label(mac.finalize(), b"client in", 32)
    prefix = QUIC_LABEL[version]
    return (expand_label(secret, prefix + b" key", 16), expand_label(secret, prefix + b" iv", 12),
            expand_label(secret, prefix + b" hp", 16))


def varint(v):
    for size, tag in ((1, 0), (2, 0x40), (4, 0x80), (8, 0xC0)):
        if v < 1 << (8 * size - 2):
            return (v | tag << (8 * size - 8)).to_bytes(size, "big")
    raise ValueError(v)


def crypto(offset, data):
    return b"\x06" + varint(offset) + varint(len(data)) + data


def seal_initial(version, dcid, pn, frames, payload_size=1162, key_dcid=None, token=b"", scid=b""):
    """A client Initial with a 4-byte packet number, its frames padded to `payload_size`; keys
    from `key_dcid` (the header's `dcid` unless given)."""
    key, iv, hp = quic_client_keys(version, key_dcid or dcid)
    payload = frames + bytes(max(0, payload_size - len(frames)))
    first = 0xC3 | QUIC_TYPE[version]["initial"] << 4
    header = (bytes([first]) + struct.pack("!IB", version, len(dcid)) + dcid + bytes([len(scid)]) + scid
              + varint(len(token)) + token + struct.pack("!HI", 0x4000 | (4 + len(payload) + 16), pn))
    nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, "big")))
    sealed = AESGCM(key).encrypt(nonce, payload, header)
    mask = Cipher(algorithms.AES(hp), modes.ECB()).encryptor().update(sealed[:16])
    at = len(header) - 4
    protected = bytes([header[0] ^ (mask[0] & 0x0F)]) + header[1:at] + bytes(a ^ b for a, b in zip(header[at:], mask[1:5]))
    return protected + sealed


def other_long(version, kind, dcid, body):
    """A Handshake or 0-RTT packet: only its length matters to a reader of Initials."""
    first = 0xC3 | QUIC_TYPE[version][kind] << 4
    return bytes([first]) + struct.pack("!IB", version, len(dcid)) + dcid + b"\0" + varint(len(body)) + body


def flow(*datagrams):
    """Datagrams of one flow for fuzz_quic_initial: each behind a 2-byte length, the top bit set
    for the server's."""
    out = b""
    for d in datagrams:
        server = isinstance(d, tuple)
        d = d[1] if server else d
        out += struct.pack("!H", len(d) | (0x8000 if server else 0)) + d
    return out


def quic_inputs():
    rfc_hello = RFC_CRYPTO[4:]
    for v, name in ((QUIC_V1, "v1"), (QUIC_V2, "v2")):
        rfc = seal_initial(v, RFC_DCID, 2, RFC_CRYPTO)
        assert len(rfc) == 1200 and rfc.endswith(RFC_TAG[v]), "the RFC's sample packet was not reproduced"
        yield f"rfc_{name}", rfc
        yield f"rfc_{name}.flow", flow(rfc, ("server", rfc[:300]), b"\x41" + bytes(40))
    dcid = bytes(range(1, 9))
    # A ClientHello too big for one packet (post-quantum key shares make them so), split in two
    # datagrams that arrive out of order.
    big = client_hello(extra=struct.pack("!HH", 0x0015, 1400) + bytes(1400))
    big = b"\x01" + len(big).to_bytes(3, "big") + big
    for v, name in ((QUIC_V1, "v1"), (QUIC_V2, "v2")):
        head = seal_initial(v, dcid, 0, crypto(0, big[:1000]))
        tail = seal_initial(v, dcid, 1, crypto(1000, big[1000:]))
        yield f"split_{name}.flow", flow(tail, head)
    # Scattered as Chrome sends it: CRYPTO frames out of order among PINGs, PADDING and an ACK
    # with ECN counts; then the same frames in clear, for the frame reader.
    frames = (b"\x01\x00" + crypto(150, rfc_hello[150:]) + b"\x01" + crypto(40, rfc_hello[40:160])
              + b"\x03\x05\x00\x01\x00\x02\x01\x07\x08\x09" + crypto(0, rfc_hello[:40])
              + b"\x1c\x0a\x00\x03abc")
    yield "scattered", seal_initial(QUIC_V1, dcid, 0, frames)
    yield "frames_scattered", frames
    yield "frames_not_allowed", crypto(0, rfc_hello[:20]) + b"\x08\x00\x01a" + crypto(20, rfc_hello[20:])
    yield "frames_huge_ack", b"\x02\x09\x00\xbf\xff\xff\xff\xff\xff\xff\xff\x03"
    # Coalesced: Initial, Handshake and 0-RTT, then a 1-RTT packet.
    co = (seal_initial(QUIC_V1, dcid, 0, crypto(0, rfc_hello), 400) + other_long(QUIC_V1, "handshake", dcid, bytes(60))
          + other_long(QUIC_V1, "0rtt", dcid, bytes(30)) + b"\x41" + bytes(20))
    yield "coalesced", co
    yield "coalesced_v2", (other_long(QUIC_V2, "handshake", dcid, bytes(60))
                           + seal_initial(QUIC_V2, dcid, 0, crypto(0, rfc_hello), 400))
    # Later Initials written to the server's connection ID, with the first ID's keys.
    yield "server_id.flow", flow(seal_initial(QUIC_V1, dcid, 0, crypto(0, rfc_hello[:50])),
                                 seal_initial(QUIC_V1, b"\xee" * 4, 1, crypto(50, rfc_hello[50:]), key_dcid=dcid))
    yield "server_first.flow", flow(("server", seal_initial(QUIC_V1, dcid, 0, crypto(0, rfc_hello))))
    yield "token", seal_initial(QUIC_V1, dcid, 0, crypto(0, rfc_hello), token=b"retry-token" * 3, scid=b"\x05" * 8)
    yield "too_large", seal_initial(QUIC_V1, dcid, 0, crypto(0, b"\x01\x01\x00\x01\x03\x03"))
    yield "not_client_hello", seal_initial(QUIC_V1, dcid, 0, crypto(0, b"\x02\x00\x00\x02\x03\x03"))
    # Damaged: a bad tag, cut short, a connection ID of 21 bytes, a length past the datagram.
    rfc = seal_initial(QUIC_V1, RFC_DCID, 2, RFC_CRYPTO)
    yield "bad_tag", rfc[:-1] + bytes([rfc[-1] ^ 1])
    yield "truncated", rfc[:600]
    yield "long_cid", rfc[:5] + b"\x15" + bytes(21) + rfc[14:200]
    yield "long_length", rfc[:16] + b"\x7f\xff" + rfc[18:]


def write_corpus(name, inputs):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for label, data in inputs:
        with open(os.path.join(d, label), "wb") as f:
            f.write(data)


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
    write_corpus("tcp_payload", tls_inputs())
    write_corpus("quic_initial", quic_inputs())


if __name__ == "__main__":
    main()
