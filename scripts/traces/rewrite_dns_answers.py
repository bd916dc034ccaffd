#!/usr/bin/env python3
"""Rewrites the addresses inside DNS answers (A records) of a capture, the part
of an address rewrite that tcprewrite --pnat leaves alone: it changes IP
headers only. Used by scripts/make-demo before tcprewrite, with the same map,
so that a rewritten capture's DNS answers name the rewritten servers.

Usage: rewrite_dns_answers.py IN.pcap OUT.pcap OLD=NEW [OLD=NEW...]
  IN is a classic pcap (either byte order, µs or ns) of Ethernet frames. In
  every IPv4 UDP packet from port 53, each A record (answer, authority or
  additional section) whose address is an OLD becomes NEW, and the UDP
  checksum is recomputed. DNS over TCP, or a fragmented DNS answer, stops the
  run with an error rather than being left half rewritten. Other packets are
  copied unchanged. Python 3 standard library only.
"""

import ipaddress
import struct
import sys

ETH_HEADER = 14
ETHERTYPE_IPV4 = 0x0800
PROTO_TCP, PROTO_UDP = 6, 17
DNS_PORT = 53
TYPE_A, CLASS_IN = 1, 1


class Malformed(Exception):
    pass


class Reader:
    """Bounds-checked reads over one DNS message; every overrun raises Malformed."""

    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def take(self, n):
        if n > len(self.data) - self.pos:
            raise Malformed(f"DNS message ends at byte {len(self.data)}, needed {n} more at {self.pos}")
        self.pos += n
        return self.pos - n

    def u16(self):
        at = self.take(2)
        return struct.unpack_from("!H", self.data, at)[0]

    def skip_name(self):
        # A name ends at a zero label or at a compression pointer (RFC 1035 4.1.4); it is not
        # followed, since only its length matters here.
        for _ in range(128):
            length = self.data[self.take(1)]
            if length == 0:
                return
            if length & 0xC0 == 0xC0:
                self.take(1)
                return
            if length & 0xC0:
                raise Malformed(f"label type {length >> 6:#x} at byte {self.pos - 1}")
            self.take(length)
        raise Malformed("name longer than 128 labels")


def rewrite_message(msg, mapping):
    """Rewrites A records in the DNS message `msg` (a bytearray) in place; returns how many."""
    r = Reader(msg)
    r.take(4)  # id, flags
    qdcount, ancount, nscount, arcount = (r.u16() for _ in range(4))
    for _ in range(qdcount):
        r.skip_name()
        r.take(4)  # type, class
    changed = 0
    for _ in range(ancount + nscount + arcount):
        r.skip_name()
        rtype, rclass = r.u16(), r.u16()
        r.take(4)  # TTL
        rdlength = r.u16()
        at = r.take(rdlength)
        if rtype == TYPE_A and rclass == CLASS_IN and rdlength == 4:
            new = mapping.get(bytes(msg[at:at + 4]))
            if new is not None:
                msg[at:at + 4] = new
                changed += 1
    return changed


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def udp_checksum(src, dst, udp):
    pseudo = src + dst + struct.pack("!BBH", 0, PROTO_UDP, len(udp))
    c = ~ones_complement_sum(pseudo + udp) & 0xFFFF
    return c or 0xFFFF


def rewrite_frame(frame, mapping):
    """Returns (frame, A records rewritten); raises Malformed for DNS this tool cannot rewrite."""
    if len(frame) < ETH_HEADER + 20 or struct.unpack_from("!H", frame, 12)[0] != ETHERTYPE_IPV4:
        return frame, 0
    ip = ETH_HEADER
    if frame[ip] >> 4 != 4:
        return frame, 0
    ihl = (frame[ip] & 0x0F) * 4
    total_length = struct.unpack_from("!H", frame, ip + 2)[0]
    proto = frame[ip + 9]
    fragmented = struct.unpack_from("!H", frame, ip + 6)[0] & 0x3FFF
    if ihl < 20 or total_length < ihl + 8 or ip + total_length > len(frame):
        return frame, 0
    l4 = ip + ihl
    src_port, dst_port = struct.unpack_from("!HH", frame, l4)
    if proto == PROTO_TCP and DNS_PORT in (src_port, dst_port):
        raise Malformed("DNS over TCP is not rewritten")
    if proto != PROTO_UDP or src_port != DNS_PORT:
        return frame, 0
    if fragmented:
        raise Malformed("fragmented DNS answer")
    udp_length = struct.unpack_from("!H", frame, l4 + 4)[0]
    if udp_length < 8 or l4 + udp_length > ip + total_length:
        raise Malformed(f"UDP length {udp_length} does not fit the IP packet")
    out = bytearray(frame)
    msg = out[l4 + 8:l4 + udp_length]
    changed = rewrite_message(msg, mapping)
    if changed:
        out[l4 + 8:l4 + udp_length] = msg
        struct.pack_into("!H", out, l4 + 6, 0)
        c = udp_checksum(bytes(out[ip + 12:ip + 16]), bytes(out[ip + 16:ip + 20]),
                         bytes(out[l4:l4 + udp_length]))
        struct.pack_into("!H", out, l4 + 6, c)
    return bytes(out), changed


def parse_map(pairs):
    mapping = {}
    for p in pairs:
        old, sep, new = p.partition("=")
        try:
            if not sep:
                raise ValueError("no '='")
            mapping[ipaddress.IPv4Address(old).packed] = ipaddress.IPv4Address(new).packed
        except ValueError as e:
            sys.exit(f"rewrite_dns_answers: bad mapping {p!r}: {e}")
    return mapping


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.split("\n\n")[1])
    path_in, path_out, mapping = sys.argv[1], sys.argv[2], parse_map(sys.argv[3:])
    with open(path_in, "rb") as fi:
        data = fi.read()
    if len(data) < 24:
        sys.exit(f"{path_in}: too short for a pcap file header")
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
              b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(data[:4])
    if endian is None:
        sys.exit(f"{path_in}: not a classic pcap file")
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    if linktype != 1:
        sys.exit(f"{path_in}: link type {linktype} is not Ethernet")
    out = [data[:24]]
    pos, record, total = 24, 0, 0
    while pos < len(data):
        record += 1
        if len(data) - pos < 16:
            sys.exit(f"{path_in}: record {record} at byte {pos}: truncated record header")
        caplen = struct.unpack_from(endian + "I", data, pos + 8)[0]
        if caplen > len(data) - pos - 16:
            sys.exit(f"{path_in}: record {record} at byte {pos}: length {caplen} runs past the end")
        frame = data[pos + 16:pos + 16 + caplen]
        try:
            frame, changed = rewrite_frame(frame, mapping)
        except Malformed as e:
            sys.exit(f"{path_in}: record {record} at byte {pos}: {e}")
        total += changed
        out += [data[pos:pos + 16], frame]
        pos += 16 + caplen
    with open(path_out, "wb") as fo:
        fo.write(b"".join(out))
    print(f"rewrite_dns_answers: {total} A record(s) rewritten in {record} packets", file=sys.stderr)


if __name__ == "__main__":
    main()
