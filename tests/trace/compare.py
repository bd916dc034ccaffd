#!/usr/bin/env python3
"""Trace tests: run the real tattle binary on real captures and compare with the oracles.

For every capture, all run at test time: the packet count must equal `capinfos -c -M`; the
TCP and UDP flow tables must agree with `tshark -q -z conv,tcp -z conv,udp` (endpoints, frames
and bytes each way); and every DNS question name and A/AAAA answer, every TLS SNI over TCP, every
SNI in a client's QUIC Initial packets must be the set tshark's dissectors find, and every
HTTP/1.x and HTTP/2 request (method, authority, target, as often as sent; in clear text, or
decrypted with a pcapng's DSB secrets) the list they find. Where the corpus holds FoxIO's reference output, every TCP and QUIC flow's JA4
must match it; where it holds nDPI's (ndpiReader's .out files), every JA4 nDPI printed must match
too, or differ only in one of the ways NDPI_JA4_KNOWN names and checks (nDPI's own departures
from the JA4 specification). Conversations are compared per
endpoint pair, so a 5-tuple that tattle splits into several flows over time (idle timeouts,
port reuse) is summed first.

One difference is tshark's way of counting, not a disagreement, and is reconciled rather than
listed: its conversation tap sees a datagram rebuilt from IP fragments once (see add_fragments).
The one JA4 difference is listed in JA4_KNOWN with its reason. All others fail the test. The
last line but one says how many SNIs and JA4 values were compared, per transport.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

from http_requests import request_problems, tattle_requests, tshark_requests

UNIT = r"(\d+) (bytes|kB|MB|GB|TB)"
CONV_LINE = re.compile(
    r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+" + UNIT + r"\s+(\d+)\s+" + UNIT + r"\s+(\d+)\s+" + UNIT)


def tshark_size(n):
    """Formats a byte count as tshark 4.0's conversation table does (format_size, SI units,
    truncating division, a larger unit once the value reaches 10 of it)."""
    for power, unit in ((4, "TB"), (3, "GB"), (2, "MB"), (1, "kB")):
        if n // (1000 ** power) >= 10:
            return f"{n // 1000 ** power} {unit}"
    return f"{n} bytes"


def split_endpoint(text):
    """'1.2.3.4:80', '2001:db8::1:443' (tshark) or '[2001:db8::1]:443' (tattle) -> (addr, port)."""
    addr, _, port = text.rpartition(":")
    return addr.strip("[]"), int(port)


def capinfos_packets(path):
    out = subprocess.run(["capinfos", "-c", "-M", "-T", "-r", path], capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return int(out.stdout.strip().split("\t")[-1])


def tshark_conversations(path):
    """{(proto, frozenset(endpoints)): Counter{(src, dst, "frames"): n, (src, dst, "size"): text}}"""
    out = subprocess.run(["tshark", "-2", "-n", "-r", path, "-q", "-z", "conv,tcp", "-z", "conv,udp"],
                         capture_output=True, text=True)
    table = {}
    proto = None
    for line in out.stdout.splitlines():
        if line.startswith("TCP Conversations"):
            proto = "tcp"
        elif line.startswith("UDP Conversations"):
            proto = "udp"
        m = CONV_LINE.match(line)
        if not m or proto is None:
            continue
        a, b = split_endpoint(m.group(1)), split_endpoint(m.group(2))
        # Columns: "<-" is B to A, "->" is A to B.
        b_to_a = (int(m.group(3)), f"{m.group(4)} {m.group(5)}")
        a_to_b = (int(m.group(6)), f"{m.group(7)} {m.group(8)}")
        entry = table.setdefault((proto, frozenset((a, b))), collections.Counter())
        # tshark can list one pair more than once (several TCP streams): sum frames, and keep a
        # size only when a single row gives it.
        for (src, dst), (frames, size) in (((a, b), a_to_b), ((b, a), b_to_a)):
            entry[(src, dst, "frames")] += frames
            entry[(src, dst, "size")] = size if (src, dst, "size") not in entry else None
    add_fragments(path, table)
    return table


def last(field):
    return field.split(",")[-1] if field else ""


def add_fragments(path, table):
    """tshark's conversation tap sees a datagram rebuilt from IP fragments once, in the frame
    that completes it, with that frame's length; tattle counts every fragment's frame. tshark
    itself says which frames were fragments of which (ip.reassembled_in, two-pass), so their
    frames and bytes are added to the conversation of the frame that completed them."""
    fields = ["frame.number", "frame.len", "ip.reassembled_in", "ipv6.reassembled.in", "ip.src", "ip.dst",
              "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]
    cmd = ["tshark", "-2", "-n", "-r", path, "-T", "fields", "-E", "separator=/t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True)
    frames = {}
    pieces = collections.defaultdict(list)  # completing frame -> [(length, ipv6?)]
    for line in out.stdout.splitlines():
        v = dict(zip(fields, line.split("\t")))
        number = int(v["frame.number"])
        frames[number] = v
        for field, v6 in (("ip.reassembled_in", False), ("ipv6.reassembled.in", True)):
            if v.get(field):
                target = int(last(v[field]))
                if target != number:
                    pieces[target].append((int(v["frame.len"]), v6))
    for target, parts in pieces.items():
        v = frames.get(target)
        if v is None:
            continue
        v6 = parts[0][1]
        src, dst = last(v["ipv6.src" if v6 else "ip.src"]), last(v["ipv6.dst" if v6 else "ip.dst"])
        for proto in ("tcp", "udp"):
            sport, dport = last(v[f"{proto}.srcport"]), last(v[f"{proto}.dstport"])
            if not sport:
                continue
            a, b = (src, int(sport)), (dst, int(dport))
            entry = table.get((proto, frozenset((a, b))))
            if entry is None:
                continue
            entry[(a, b, "frames")] += len(parts)
            size = entry[(a, b, "size")]
            exact = size.endswith(" bytes") if size else False
            entry[(a, b, "size")] = tshark_size(int(size.split()[0]) + sum(n for n, _ in parts)) if exact else None


def tattle_conversations(report):
    table = {}
    for f in report["flows"]:
        if f["proto"] not in ("tcp", "udp"):
            continue
        c, s = split_endpoint(f["client"]), split_endpoint(f["server"])
        key = (f["proto"], frozenset((c, s)))
        entry = table.setdefault(key, collections.Counter())
        entry[(c, s, "frames")] += f["packets_out"]
        entry[(s, c, "frames")] += f["packets_in"]
        entry[(c, s, "bytes")] += f["bytes_out"]
        entry[(s, c, "bytes")] += f["bytes_in"]
    return table


def compare(path, tattle):
    """Returns a list of differences (empty when all agree)."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.json")
        run = subprocess.run([tattle, "audit", path, "--quiet", "--json", out],
                             capture_output=True, text=True, timeout=600)
        if run.returncode not in (0, 3):
            return [f"tattle exited {run.returncode}: {run.stderr.strip()[:300]}"]
        with open(out, encoding="utf-8") as fh:
            report = json.load(fh)
    if report.get("schema") != "tattle.audit/1":
        problems.append(f"schema is {report.get('schema')!r}")
    ours_packets = sum(i["packets"] for i in report["inputs"])
    theirs_packets = capinfos_packets(path)
    if theirs_packets is not None and ours_packets != theirs_packets:
        problems.append(f"packets: tattle {ours_packets}, capinfos {theirs_packets}")
    problems += compare_dns(path, report)
    problems += compare_sni(path, report)
    problems += compare_ja4(path, report)
    problems += compare_ndpi_ja4(path, report)
    problems += compare_http_requests(path, report)
    ours, theirs = tattle_conversations(report), tshark_conversations(path)
    for key in sorted(set(ours) | set(theirs), key=str):
        proto, pair = key
        name = f"{proto} " + " <-> ".join(f"{a}:{p}" for a, p in sorted(pair))
        if key not in theirs:
            problems.append(f"{name}: only tattle has it")
            continue
        if key not in ours:
            problems.append(f"{name}: only tshark has it")
            continue
        for (src, dst, what), value in theirs[key].items():
            if what == "frames" and ours[key][(src, dst, "frames")] != value:
                problems.append(f"{name}: frames {src}->{dst}: tattle {ours[key][(src, dst, 'frames')]}, tshark {value}")
            if what == "size" and value is not None:
                mine = tshark_size(ours[key][(src, dst, "bytes")])
                if mine != value:
                    problems.append(f"{name}: bytes {src}->{dst}: tattle {mine}, tshark {value}")
    return problems


DNS_FILTER = "(dns || mdns) && (udp.port in {53, 5353} || tcp.port in {53, 5353})"


def tshark(path, *args):
    """tshark's output on `path` with `args` (a failure fails the test)."""
    out = subprocess.run(["tshark", "-n", "-r", path, *args], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"tshark failed on {path}: {out.stderr.strip()[-300:]}")
    return out.stdout


# How many values each comparison saw, across all captures: ("SNI", "tcp") -> n, ...
COMPARED = collections.Counter()


def set_problems(what, ours, theirs):
    return [f"{what} {x}: only tattle has it" for x in sorted(ours - theirs)] + \
           [f"{what} {x}: only tshark has it" for x in sorted(theirs - ours)]


def field_set(text):
    """The values of a `-T fields` output, all fields together (several per line, comma-separated)."""
    return {v for line in text.splitlines() for field in line.split("\t") for v in field.split(",") if v}


def dns_names(layer, names, addrs):
    """Collects question names and A/AAAA answer addresses from one tshark dns/mdns layer."""
    for q in (layer.get("Queries") or {}).values():
        if isinstance(q, dict) and "dns.qry.name" in q:
            names.add(q["dns.qry.name"])
    for a in (layer.get("Answers") or {}).values():
        if isinstance(a, dict):
            for field in ("dns.a", "dns.aaaa"):
                if field in a:
                    addrs.add(a[field])


def tshark_dns(path):
    names, addrs = set(), set()
    for packet in json.loads(tshark(path, "-Y", DNS_FILTER, "-T", "json") or "[]"):
        layers = packet["_source"]["layers"]
        for proto in ("dns", "mdns"):
            layer = layers.get(proto)
            for item in layer if isinstance(layer, list) else [layer]:
                if isinstance(item, dict):
                    dns_names(item, names, addrs)
    return names, addrs


def tattle_dns(report):
    names, addrs = set(), set()
    for t in report["dns"]:
        if t["qname"]:
            names.add(t["qname"])
        names.update(q["name"] for q in t.get("more_questions", []))
        for a in t["answers"]:
            if a["type"] in ("A", "AAAA"):
                addrs.update(a.get("addresses", []))
    return names, addrs


def compare_dns(path, report):
    """Every DNS question name and A/AAAA answer must be tshark's, and the reverse."""
    ours_names, ours_addrs = tattle_dns(report)
    theirs_names, theirs_addrs = tshark_dns(path)
    # tshark writes the root as "<Root>" where tattle uses the zone-file "."
    theirs_names = {"." if n == "<Root>" else n for n in theirs_names}
    return set_problems("DNS name", ours_names, theirs_names) + set_problems("DNS address", ours_addrs, theirs_addrs)


# SNIs tshark reads in QUIC Initials that tattle does not, and why.
def compare_sni(path, report):
    """Every SNI in a ClientHello over TCP, and in QUIC Initial packets (which tshark decrypts
    itself), must be tshark's, and the reverse."""
    problems = []
    for proto, what, shown in (("tcp", "SNI", "tcp"), ("udp", "QUIC SNI", "quic")):
        theirs = field_set(tshark(path, "-Y", f"{shown} && tls.handshake.type == 1", "-T", "fields",
                                  "-e", "tls.handshake.extensions_server_name"))
        ours = {f["sni"] for f in report["flows"] if f["proto"] == proto and f.get("sni")}
        COMPARED[("SNI", proto)] += len(ours | theirs)
        problems += set_problems(what, ours, theirs)
    return problems


def compare_http_requests(path, report):
    """Every HTTP/1.x and HTTP/2 request's method, authority and target, as tshark reads them (in
    clear text, and decrypted with the keys of a pcapng's DSBs, which both read), as often."""
    ours, ports = tattle_requests(report)
    theirs = tshark_requests(path, [], ports)
    COMPARED[("HTTP request", "tcp")] += sum((ours | theirs).values())
    return [p.split(": ", 1)[1] for p in request_problems(path, ours, theirs)]


# Where tattle follows the JA4 specification's text and FoxIO's reference output does not.
JA4_KNOWN = {
    # First ALPN value 0xba 0xad: the specification says its first and last hex digits ("bd");
    # FoxIO's implementation writes "99" for any non-ASCII byte.
    ("tls-non-ascii-alpn.pcapng", "t13d151699_8daaf6152771_e5627efa2ab1"): "t13d1516bd_8daaf6152771_e5627efa2ab1",
}


def foxio_ja4(snap):
    """(transport, client, server) -> ja4 from a FoxIO .rust.snap file (insta YAML, read by hand:
    a list of flat maps)."""
    out, item = {}, {}
    with open(snap, encoding="utf-8") as fh:
        lines = fh.read().split("\n---\n", 2)[-1].splitlines()
    for line in lines + ["- end"]:
        if line.startswith("- ") and item:
            if "ja4" in item:
                ip = lambda a: f"[{a}]" if ":" in a else a
                key = (item["transport"], f"{ip(item['src'])}:{item['src_port']}", f"{ip(item['dst'])}:{item['dst_port']}")
                out[key] = item["ja4"]
            item = {}
        m = re.match(r"^[- ] (\w+): (.*)$", line)
        if m:
            item[m.group(1)] = m.group(2).strip().strip("'\"")
    return out


def compare_ja4(path, report):
    """JA4 of every TLS-over-TCP and QUIC flow against FoxIO's reference output, where the corpus
    has it."""
    snap = os.path.join(os.path.dirname(path), "expected", os.path.basename(path) + ".rust.snap")
    if not os.path.exists(snap):
        return []
    ours = {(f["proto"], f["client"], f["server"]): f["ja4"] for f in report["flows"] if f.get("ja4")}
    problems = []
    for key, theirs in sorted(foxio_ja4(snap).items()):
        COMPARED[("JA4", key[0])] += 1
        expected = JA4_KNOWN.get((os.path.basename(path), theirs), theirs)
        if ours.get(key) != expected:
            problems.append(f"JA4 {key[1]} -> {key[2]}: tattle {ours.get(key)}, FoxIO {theirs}")
    return problems


NDPI_LINE = re.compile(r"^\s*\d+\s+(TCP|UDP)\s+(\S+) <-> (\S+) .*?\[JA4: ([^\]]+)\]")

# The ways the JA4 values in nDPI's reference outputs depart from FoxIO's specification, each
# checked on the flow, not taken on trust. Counted in the "compared" line.
NDPI_JA4_KNOWN = {
    "alpn": "the ALPN characters of ja4_a are not the first and last character of the first ALPN "
            "value (nDPI writes its first two: 'ht' for http/1.1, 'sp' for spdy/3.1, and 'h0' for a "
            "lone 'h2' or 'h3')",
    "sni": "'d' although the ClientHello has no server_name extension (the specification: 'i')",
    "empty": "the SHA-256 of nothing (e3b0c44298fc) for an empty list, where the specification "
             "writes 000000000000",
    "address": "nDPI's text of the address is not an IPv6 address (two '::')",
    "dtls": "a DTLS ClientHello: tattle reads TLS over TCP and QUIC, not DTLS",
}


def ndpi_endpoint(text):
    import ipaddress
    addr, port = split_endpoint(text)
    try:
        return f"{ipaddress.ip_address(addr)}:{port}"
    except ValueError:
        return None


def ndpi_ja4_explained(ours, flow, theirs, path):
    """Which NDPI_JA4_KNOWN departure explains nDPI's `theirs` beside tattle's `ours`, or None."""
    if theirs.startswith("d"):
        return "dtls"
    if ours is None:
        return None
    a, b, c = ours.split("_")
    ta, tb, tc = theirs.split("_")
    reasons = set()
    if a[3] != ta[3]:
        if not (a[3] == "i" and ta[3] == "d" and flow["sni"] is None):
            return None
        reasons.add("sni")
    if a[8:] != ta[8:]:
        alpn = flow["alpn"][0] if flow["alpn"] else ""
        if not (alpn.isascii() and alpn[:1].isalnum() and alpn[-1:].isalnum() and a[8:] == alpn[0] + alpn[-1]):
            return None
        reasons.add("alpn")
    for ours_part, their_part in ((b, tb), (c, tc)):
        if ours_part != their_part:
            if (ours_part, their_part) != ("000000000000", "e3b0c44298fc"):
                return None
            reasons.add("empty")
    if (a[:3], a[4:8]) != (ta[:3], ta[4:8]):
        return None
    return ",".join(sorted(reasons))


def compare_ndpi_ja4(path, report):
    """Every JA4 in nDPI's reference output for the capture against tattle's flow of the same
    endpoints."""
    out = os.path.join(os.path.dirname(path), "expected", os.path.basename(path) + ".out")
    if not os.path.exists(out):
        return []
    flows = {}
    for f in report["flows"]:
        if f["proto"] in ("tcp", "udp"):
            flows[(f["proto"], frozenset((ndpi_endpoint(f["client"]), ndpi_endpoint(f["server"]))))] = f
    problems = []
    with open(out, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = NDPI_LINE.match(line)
            if not m:
                continue
            proto, theirs = m.group(1).lower(), m.group(4)
            ends = (ndpi_endpoint(m.group(2)), ndpi_endpoint(m.group(3)))
            COMPARED[("JA4 (nDPI)", proto)] += 1
            if None in ends:
                COMPARED[("nDPI JA4 explained: address", proto)] += 1
                continue
            flow = flows.get((proto, frozenset(ends)))
            ours = flow["ja4"] if flow else None
            if ours == theirs:
                continue
            why = ndpi_ja4_explained(ours, flow, theirs, path)
            if why:
                COMPARED[(f"nDPI JA4 explained: {why}", proto)] += 1
            else:
                problems.append(f"JA4 {ends[0]} <-> {ends[1]}: tattle {ours}, nDPI {theirs}")
    return problems


def is_capture(path):
    with open(path, "rb") as fh:
        magic = fh.read(4)
    return magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d",
                     b"\x0a\x0d\x0d\x0a") or magic[:2] == b"\x1f\x8b"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tattle", required=True)
    ap.add_argument("--corpus", help="a folder searched for captures (e.g. ../shared/corpora)")
    ap.add_argument("captures", nargs="*")
    args = ap.parse_args()

    items = [(p, os.path.basename(p)) for p in args.captures]
    if args.corpus:
        if not os.path.isdir(args.corpus):
            print(f"SKIPPED: {args.corpus} not found")
            return 0
        for root, _, files in os.walk(args.corpus):
            for name in sorted(files):
                p = os.path.join(root, name)
                if is_capture(p):
                    items.append((p, os.path.relpath(p, args.corpus)))
    items.sort(key=lambda x: x[1])

    passed = failed = 0
    for path, label in items:
        problems = compare(path, args.tattle)
        if problems:
            failed += 1
            print(f"FAIL {label}")
            for p in problems[:20]:
                print(f"     {p}")
            if len(problems) > 20:
                print(f"     ... and {len(problems) - 20} more")
        else:
            passed += 1
            print(f"ok   {label}")
    print("compared: " + ", ".join(f"{n} {what} over {proto}" for (what, proto), n in sorted(COMPARED.items())))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not items else 0


if __name__ == "__main__":
    sys.exit(main())
