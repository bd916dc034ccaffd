#!/usr/bin/env python3
"""Writes the seed corpora of the decode fuzz targets (fuzz/corpus/{link_*,ip,ip_fragments}/).

Every frame is built here from fields; nothing is copied from captures. Run from anywhere:
    python3 fuzz/gen_decode_corpus.py
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


def ipv4(proto, payload, src="0a000001", dst="0a000002", ident=1, frag=0, ihl_opts=b""):
    ihl = 5 + len(ihl_opts) // 4
    hdr = struct.pack("!BBHHHBBH", 0x40 | ihl, 0, 4 * ihl + len(payload), ident, frag, 64, proto, 0)
    hdr += h(src) + h(dst) + ihl_opts
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:] + payload


V6_SRC = h("20010db8000000000000000000000001")
V6_DST = h("20010db8000000000000000000000002")


def ipv6(nh, payload):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + V6_SRC + V6_DST + payload


def tcp(sport=12345, dport=443, flags=0x18, payload=b"abcd", opts=b""):
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 2, off << 4, flags, 65535, 0, 0) + opts + payload


def udp(sport=53, dport=54321, payload=b"wxyz"):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


MACS = h("001122334455 66778899aabb")
V4_TCP = ipv4(6, tcp())
V4_UDP = ipv4(17, udp())
V6_UDP = ipv6(17, udp())
V6_TCP = ipv6(6, tcp())
V6_EXT = ipv6(0, h("2b00010400000000") + h("3c00000000000000") + h("3301010c" + "00" * 12)
              + h("0604000000000100000000 01" + "00" * 12) + tcp())
V4_OPTS = ipv4(6, tcp(opts=h("020405b4 01030307")), ihl_opts=h("01010100"))
ICMP = ipv4(1, h("0800f7ff00010001"))
ICMP6 = ipv6(58, h("8000000000010001"))


def eth(ethertype, payload):
    return MACS + struct.pack("!H", ethertype) + payload


def tunnels():
    inner_eth = eth(0x0800, V4_TCP)
    gre_key = h("20000800 0000002a") + V4_TCP
    gre_teb = h("90006558 00000000 00000005") + inner_eth
    erspan2 = h("100088be 00000001 10000001 00000000") + inner_eth
    erspan3 = h("000022eb 20000001 00000000 00000000") + inner_eth
    pptp = h("3001880b 0030 0001 00000001") + h("ff030021") + V4_TCP
    vxlan = udp(50000, 4789, h("0800000000006400") + inner_eth)
    geneve = udp(50000, 6081, h("01006558 00006400 01020300") + inner_eth)
    gtp_body = h("00000085") + h("01000900") + V4_TCP
    gtp = udp(2152, 2152, h("34ff") + struct.pack("!H", len(gtp_body)) + h("00000001") + gtp_body)
    teredo = udp(3544, 40000, h("0000 1234 c0000201") + V6_UDP)
    return {
        "ipip": ipv4(4, V4_TCP),
        "ip6in4": ipv4(41, V6_UDP),
        "gre_key": ipv4(47, gre_key),
        "gre_teb": ipv4(47, gre_teb),
        "erspan2": ipv4(47, erspan2),
        "erspan3": ipv4(47, erspan3),
        "gre_pptp": ipv4(47, pptp),
        "vxlan": ipv4(17, vxlan),
        "geneve": ipv4(17, geneve),
        "gtpu": ipv4(17, gtp),
        "teredo": ipv4(17, teredo),
        "gre_in_v6": ipv6(47, gre_key),
    }


def ip_packets():
    d = {"v4_tcp": V4_TCP, "v4_udp": V4_UDP, "v6_udp": V6_UDP, "v6_tcp": V6_TCP, "v6_ext": V6_EXT,
         "v4_opts": V4_OPTS, "icmp": ICMP, "icmp6": ICMP6,
         "v6_atomic_frag": ipv6(44, h("1100000000000007") + udp(1000, 2000)),
         "v4_frag": ipv4(17, udp(1000, 2000, b"A" * 8), ident=0x1234, frag=0x2000),
         "v6_esp": ipv6(50, h("0000010000000001"))}
    d.update(tunnels())
    return d


def pktap(dlt, inner):
    b = bytearray(108)
    struct.pack_into("<III", b, 0, 108, 1, dlt)
    b[12:15] = b"en0"
    struct.pack_into("<II", b, 36, 4, 2)
    struct.pack_into("<i", b, 52, 501)
    b[56:60] = b"curl"
    struct.pack_into("<i", b, 84, 77)
    b[88:101] = b"nsurlsessiond"
    return bytes(b) + inner


def pcapdroid(ip, bad_crc=False):
    pad = (-(14 + len(ip))) & 3
    b = bytes(12) + h("0800") + ip + bytes(pad) + h("01072021") + struct.pack("!i", 10123)
    b += b"com.example.app".ljust(20, b"\0")
    crc = zlib.crc32(b) ^ (1 if bad_crc else 0)
    return b + struct.pack("<I", crc)


def corpora():
    ip = ip_packets()
    c = {}
    c["link_ethernet"] = {
        "v4_tcp": eth(0x0800, V4_TCP), "v6_udp": eth(0x86DD, V6_UDP),
        "vlan": eth(0x8100, h("0064") + h("86dd") + V6_UDP),
        "qinq": eth(0x88A8, h("000a 8100 0064 0800") + V4_TCP),
        "mpls": eth(0x8847, h("00010040 00011140") + V4_TCP),
        "mpls_pw": eth(0x8847, h("00010140 00000000") + eth(0x0800, V4_TCP)),
        "pppoe": eth(0x8864, h("11000001") + struct.pack("!H", 2 + len(V6_UDP)) + h("0057") + V6_UDP),
        "llc_snap": MACS + h("0032 aaaa03 000000 0800") + V4_TCP,
        "arp": eth(0x0806, h("0001080006040001") + bytes(20)),
        "pcapdroid": pcapdroid(V4_TCP), "pcapdroid_bad_crc": pcapdroid(V4_TCP, True),
        "pcapdroid_raw_v4": V4_TCP, "pcapdroid_raw_v6": V6_UDP,
        "ethertype_lie": eth(0x0800, V6_UDP),
        "vxlan": eth(0x0800, ip["vxlan"]), "gre_teb": eth(0x0800, ip["gre_teb"]),
        "v4_frag": eth(0x0800, ip["v4_frag"]),
    }
    c["link_sll"] = {"v4_tcp": h("0000 0001 0006 001122334455 0000 0800") + V4_TCP,
                     "v6_udp": h("0004 0001 0006 001122334455 0000 86dd") + V6_UDP,
                     "vlan": h("0000 0001 0006 001122334455 0000 8100") + h("0064 0800") + V4_TCP}
    c["link_sll2"] = {"v4_tcp": h("0800 0000 00000002 0001 00 06 001122334455 0000") + V4_TCP,
                      "v6_udp": h("86dd 0000 00000002 0001 00 06 001122334455 0000") + V6_UDP}
    c["link_raw"] = {"v4_tcp": V4_TCP, "v6_udp": V6_UDP, "v6_ext": V6_EXT, "v4_opts": V4_OPTS}
    c["link_null"] = {"v4_le": h("02000000") + V4_TCP, "v6_be_30": h("0000001e") + V6_UDP,
                      "v6_le_24": h("18000000") + V6_UDP, "v6_le_28": h("1c000000") + V6_TCP}
    c["link_loop"] = {"v4": h("00000002") + V4_TCP, "v6": h("00000018") + V6_UDP}
    c["link_pktap"] = {"eth": pktap(1, eth(0x0800, V4_TCP)), "raw": pktap(12, V6_UDP),
                       "null": pktap(0, h("02000000") + V4_UDP),
                       "short_hdr": struct.pack("<III", 12, 1, 1) + eth(0x0800, V4_TCP)}
    c["link_nflog"] = {"v4": h("02000000 08000100 08000300") + struct.pack("<HH", 4 + len(V4_TCP), 9) + V4_TCP,
                       "v6": h("0a000000") + struct.pack("<HH", 4 + len(V6_UDP), 9) + V6_UDP}
    c["link_ppp"] = {"hdlc_v4": h("ff030021") + V4_TCP, "v6": h("0057") + V6_UDP,
                     "compressed": h("21") + V4_TCP}
    c["ip"] = ip
    c["ip_fragments"] = fragment_corpus()
    return c


def record(ctrl, dt, off8, payload):
    return bytes([ctrl, dt, off8, len(payload)]) + payload


def fragment_corpus():
    udp_hdr = struct.pack("!HHHH", 1000, 2000, 24, 0)
    tcp_hdr = tcp(payload=b"")
    MF, UDP, V6, RAW = 0x08, 0x10, 0x01, 0x20
    return {
        # In order, out of order, with an overlap, for both families.
        "v4_in_order": record(UDP | MF, 0, 0, udp_hdr + b"A" * 8) + record(UDP, 1, 2, b"B" * 8),
        "v4_reversed": record(UDP, 0, 2, b"B" * 8) + record(UDP | MF, 1, 0, udp_hdr + b"A" * 8),
        "v4_overlap": record(UDP, 0, 2, b"B" * 8) + record(UDP | MF, 0, 1, b"X" * 8)
                      + record(UDP | MF, 0, 0, udp_hdr + b"A" * 8),
        "v6_reversed": record(V6 | UDP, 0, 2, b"B" * 8) + record(V6 | UDP | MF, 1, 0, udp_hdr + b"A" * 8),
        "v6_tcp": record(V6 | MF, 0, 0, tcp_hdr[:16]) + record(V6, 0, 2, tcp_hdr[16:] + b"abcd"),
        # Interleaved ids and a timeout (25 x 100 ms > 2 s) between fragments.
        "interleaved": record(UDP | MF | 0x02, 0, 0, udp_hdr + b"A" * 8) + record(UDP | MF | 0x04, 0, 0, udp_hdr + b"C" * 8)
                       + record(UDP | 0x04, 0, 2, b"D" * 8) + record(UDP | 0x02, 0, 2, b"B" * 8),
        "timeout": record(UDP | MF, 0, 0, udp_hdr + b"A" * 8) + record(UDP, 25, 2, b"B" * 8),
        "raw_mix": record(RAW, 0, 0, V4_TCP) + record(UDP | MF, 0, 0, udp_hdr + b"A" * 8)
                   + record(RAW, 0, 0, ip_packets()["v4_frag"]),
    }


def main():
    for target, files in corpora().items():
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(files)} files")


if __name__ == "__main__":
    main()
