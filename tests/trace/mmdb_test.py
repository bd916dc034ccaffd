#!/usr/bin/env python3
"""--mmdb: a MaxMind-format database written here from the published format (MaxMind DB File
Format Specification 2.0: search tree, data section, metadata) answers over the IPFire database
for the fields it holds. The database and the capture (two UDP datagrams) are made by this test;
the expected places are the ones written into the database.

Usage: mmdb_test.py TATTLE
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

TATTLE = sys.argv[1]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def ctrl(type_, size):
    """A field's control byte: type in the top 3 bits (0 for an extended type, whose number - 7
    is the next byte), size in the low 5 (29: 29 + the byte after those)."""
    assert size < 29 + 256
    low, more = (size, b"") if size < 29 else (29, bytes([size - 29]))
    if type_ <= 7:
        return bytes([(type_ << 5) | low]) + more
    return bytes([low, type_ - 7]) + more


def enc(v):
    if isinstance(v, str):
        b = v.encode()
        return ctrl(2, len(b)) + b
    if isinstance(v, dict):
        return ctrl(7, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
    if isinstance(v, list):
        return ctrl(11, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, tuple):  # (type, value): uint16 5, uint32 6, uint64 9
        type_, n = v
        b = n.to_bytes(8, "big").lstrip(b"\0")
        return ctrl(type_, len(b)) + b
    raise TypeError(v)


def mmdb(networks):
    """networks: [(a.b.c.d, prefix, record)] → an IPv4 database, 24-bit records."""
    data, offsets = b"", []
    for _, _, record in networks:
        offsets.append(len(data))
        data += enc(record)
    nodes = [[None, None]]  # None: no data
    for (addr, prefix, _), off in zip(networks, offsets):
        bits = int.from_bytes(bytes(int(x) for x in addr.split(".")), "big")
        node = 0
        for i in range(prefix):
            bit = (bits >> (31 - i)) & 1
            if i == prefix - 1:
                nodes[node][bit] = ("data", off)
            else:
                if nodes[node][bit] is None:
                    nodes.append([None, None])
                    nodes[node][bit] = ("node", len(nodes) - 1)
                node = nodes[node][bit][1]
    n = len(nodes)

    def value(r):
        if r is None:
            return n
        return r[1] if r[0] == "node" else n + 16 + r[1]

    tree = b"".join(value(l).to_bytes(3, "big") + value(r).to_bytes(3, "big") for l, r in nodes)
    meta = enc({"node_count": (6, n), "record_size": (5, 24), "ip_version": (5, 4),
                "database_type": "tattle-test", "languages": ["en"],
                "binary_format_major_version": (5, 2), "binary_format_minor_version": (5, 0),
                "build_epoch": (9, 1764000000), "description": {"en": "written by mmdb_test.py"}})
    return tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + meta


def pcap(dsts):
    out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for i, dst in enumerate(dsts):
        udp = struct.pack("!HHHH", 50000 + i, 443, 12, 0) + b"data"
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([192, 168, 1, 2]), bytes(int(x) for x in dst.split(".")))
        frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp
        out += struct.pack("<IIII", 1764000000 + i, 0, len(frame), len(frame)) + frame
    return out


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "test.mmdb")
    open(db, "wb").write(mmdb([
        ("8.8.8.0", 24, {"country": {"iso_code": "SE"}, "autonomous_system_number": (6, 64500),
                         "autonomous_system_organization": "Test Net"}),
        ("10.0.0.0", 8, {"country": {"iso_code": "DE"}}),
    ]))
    cap = os.path.join(tmp, "two.pcap")
    open(cap, "wb").write(pcap(["8.8.8.8", "10.1.1.1", "192.0.2.1"]))

    def places(*extra):
        r = subprocess.run([TATTLE, "audit", "-q", cap, "--json", "-", *extra], capture_output=True, text=True)
        doc = json.loads(r.stdout) if r.returncode == 0 else None
        return r, doc and {d["ip"]: (d["asn"], d["as_name"], d["country"]) for d in doc["destinations"]}

    r, got = places("--mmdb", db)
    check("--mmdb is read", r.returncode == 0, r.stderr)
    check("its fields answer over the IPFire database", got and got["8.8.8.8"] == (64500, "Test Net", "SE"), got)
    check("a country alone is taken, the network stays unknown", got and got["10.1.1.1"] == (None, None, "DE"), got)
    check("an address in neither stays unknown", got and got["192.0.2.1"] == (None, None, None), got)
    r, doc = subprocess.run([TATTLE, "audit", "-q", cap, "--json", "-", "--mmdb", db], capture_output=True,
                            text=True), None
    doc = json.loads(r.stdout)
    check("the report names the database", any(s.startswith("mmdb: " + db) and "tattle-test" in s
                                               for s in doc["enrichment"]["location_databases"]),
          doc["enrichment"])
    garbage = os.path.join(tmp, "garbage.mmdb")
    open(garbage, "wb").write(os.urandom(4096))
    r = subprocess.run([TATTLE, "audit", "-q", cap, "--mmdb", garbage], capture_output=True, text=True)
    check("a file that is not a MaxMind database exits 2 naming it", r.returncode == 2 and "garbage.mmdb" in r.stderr,
          (r.returncode, r.stderr))

print(f"{sum(results)}/{len(results)} checks passed")
sys.exit(0 if all(results) else 1)
