#!/usr/bin/env python3
"""Key logs and TLS decryption against tshark: for a capture and its key log (a file, or the DSB inside a pcapng),
the TLS and QUIC handshakes tattle says have secrets must be those whose ClientHello random
(tshark's `tls.handshake.random`, the first ClientHello of each TCP or UDP stream) the key log
names, the others must be counted as without, and the key log's connections that no handshake
had must be counted as unused. Run over the project's own sample (with its key log as a file,
as a DSB, and altered so that no random matches) and, when ../shared/corpora exists, over every
capture its CATALOG.md lists with keys. With the same keys, the application data tattle decrypts
from TLS over TCP must add up to what tshark's `follow,tls,raw` shows for the TCP streams whose
ServerHello chose what tattle decrypts (TLS 1.3; TLS 1.0 to 1.2 with AES-GCM, ChaCha20-Poly1305 or
AES-CBC with HMAC), and those streams
must be the flows it says it decrypted; the QUIC stream data it decrypts and puts in order must be
the bytes tshark's frames cover from each stream's start (each once). Every HTTP/1.x and HTTP/2
request tshark reads with the
keys (method, authority, target), in clear text and decrypted, must be one of tattle's messages,
and the reverse.

Usage: keylog_test.py --tattle BIN --traces DIR [--corpus DIR]
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

from http_requests import request_problems, tattle_requests, tshark_requests
from quic_streams import tshark_stream_bytes


def tattle_report(tattle, capture, keylog=None):
    command = [tattle, "audit", "-q", capture, "--json", "-"]
    if keylog:
        command += ["--keylog", keylog]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode not in (0, 3):
        sys.exit(f"{capture}: tattle exited {out.returncode}: {out.stderr}")
    return json.loads(out.stdout)


def tattle_keylog(tattle, capture, keylog=None):
    return tattle_report(tattle, capture, keylog)["stats"]["keylog"]


# TLS 1.2's AEAD suites (IANA's registry): AES-GCM with SHA-256 and SHA-384, ChaCha20-Poly1305,
# AES-128-CCM and CCM_8;
# its AES-CBC suites with HMAC-SHA256 and -SHA384; and the AES-CBC suites with HMAC-SHA1, which
# TLS 1.0 and 1.1 have too.
TLS12_ONLY = {0x009C, 0x009E, 0xC02B, 0xC02F, 0x009D, 0x009F, 0xC02C, 0xC030, 0xCCA8, 0xCCA9, 0xCCAA,
              0x003C, 0x0040, 0x0067, 0xC023, 0xC025, 0xC027, 0xC029, 0x003D, 0x006A, 0x006B,
              0xC024, 0xC026, 0xC028, 0xC02A,
              0xC09C, 0xC09E, 0xC0AC, 0xC0A0, 0xC0A2, 0xC0AE}
CBC_SHA1 = {0x002F, 0x0032, 0x0033, 0xC004, 0xC009, 0xC00E, 0xC013,
            0x0035, 0x0038, 0x0039, 0xC005, 0xC00A, 0xC00F, 0xC014}


def tshark_decryptable(capture, keylog):
    """(TCP streams whose ServerHello chose TLS 1.3, or an older version with a suite read here; the
    application bytes tshark decrypts in them)."""
    out = subprocess.run(["tshark", "-r", capture, "-Y", "tls.handshake.type == 2 && tcp", "-T", "fields",
                          "-e", "tcp.stream", "-e", "tls.handshake.extensions.supported_version",
                          "-e", "tls.handshake.version", "-e", "tls.handshake.ciphersuite"],
                         capture_output=True, text=True)
    streams = set()
    for line in out.stdout.splitlines():
        stream, chosen, version, suite = (line.split("\t") + ["", "", ""])[:4]
        if not stream or not suite:
            continue
        tls13 = "0x0304" in chosen
        version, suite = version.split(",")[0], int(suite.split(",")[0], 16)
        older = not chosen and ((version == "0x0303" and suite in TLS12_ONLY) or
                                (version in ("0x0301", "0x0302", "0x0303") and suite in CBC_SHA1))
        if tls13 or older:
            streams.add(int(stream.split(",")[0]))
    total = 0
    options = ["-o", f"tls.keylog_file:{keylog}"] if keylog else []
    decrypted = set()  # the streams tshark had keys for: it shows their application data
    for s in streams:
        follow = subprocess.run(["tshark", "-r", capture, *options, "-q", "-z", f"follow,tls,raw,{s}"],
                                capture_output=True, text=True).stdout
        n = sum(len(line.strip()) // 2 for line in follow.splitlines() if re.fullmatch(r"\s*[0-9a-f]+", line))
        if n > 0:
            decrypted.add(s)
        total += n
    return decrypted, total


def check_http(name, report, capture, keys, problems):
    """tattle's HTTP requests against tshark's with the same keys: the same method, authority and
    target, as often."""
    ours, ports = tattle_requests(report)
    problems += request_problems(name, ours, tshark_requests(capture, ["-o", f"tls.keylog_file:{keys}"], ports))
    return sum(ours.values())


def check_decryption(name, tattle, capture, keylog, problems):
    """Checks the application bytes and the HTTP/1.x requests; the number of requests tattle has.
    tshark is given the same secrets as tattle: a key log's RSA lines (a pre-master secret by the
    start of its encrypted form), which tattle does not read, are left out."""
    report = tattle_report(tattle, capture, keylog)
    with tempfile.TemporaryDirectory() as d:
        keys = os.path.join(d, "keys.txt")  # tshark reads keys from a file: the DSB's text written out
        text = dsb_text(capture) if keylog is None else open(keylog, errors="replace").read()
        open(keys, "w").write("\n".join(line for line in text.splitlines() if not line.startswith("RSA ")))
        streams, tshark_bytes = tshark_decryptable(capture, keys)
        requests = check_http(name, report, capture, keys, problems)
        quic_bytes = tshark_stream_bytes(capture, ["-o", f"tls.keylog_file:{keys}"])
    quic = report["stats"]["quic"]
    if quic["stream_bytes"] != quic_bytes or (quic_bytes > 0) != (quic["decrypted_flows"] > 0):
        problems.append(f"{name}: tattle put {quic['stream_bytes']} QUIC stream bytes in order in "
                        f"{quic['decrypted_flows']} decrypted flows; tshark {quic_bytes}")
    tls = report["stats"]["tls"]
    if tls["application_bytes"] != tshark_bytes or tls["decrypted_flows"] != len(streams):
        problems.append(f"{name}: tattle decrypted {tls['decrypted_flows']} TLS flows, {tls['application_bytes']} "
                        f"bytes; tshark {len(streams)} streams, {tshark_bytes} bytes")
    return tls["application_bytes"], requests


def client_randoms(capture):
    """The first ClientHello random of each TCP and UDP stream, as tshark reads them."""
    out = subprocess.run(["tshark", "-r", capture, "-Y", "tls.handshake.type == 1", "-T", "fields",
                          "-e", "tcp.stream", "-e", "udp.stream", "-e", "tls.handshake.random"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{capture}: tshark failed: {out.stderr}")
    first = {}
    for line in out.stdout.splitlines():
        tcp, udp, randoms = (line.split("\t") + ["", "", ""])[:3]
        if not randoms:
            continue
        stream = ("tcp", tcp) if tcp else ("udp", udp)
        first.setdefault(stream, randoms.split(",")[0].lower())
    return list(first.values())


LABELS = {"CLIENT_RANDOM", "CLIENT_EARLY_TRAFFIC_SECRET", "EARLY_EXPORTER_SECRET",
          "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
          "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET", "ECH_SECRET", "ECH_CONFIG"}


def keylog_randoms(text):
    """Client randoms of well-formed lines with a known label (QUIC_-prefixed ones included)."""
    found = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0].removeprefix("QUIC_") in LABELS and re.fullmatch(r"[0-9a-fA-F]{64}", fields[1]):
            found.add(fields[1].lower())
    return found


def expected(randoms, logged):
    return {"handshakes_with_keys": sum(r in logged for r in randoms),
            "handshakes_without_keys": sum(r not in logged for r in randoms),
            "connections": len(logged),
            "unused": len(logged - set(randoms))}


def check(name, got, want, problems):
    for key, value in want.items():
        if got.get(key) != value:
            problems.append(f"{name}: {key} is {got.get(key)}, tshark and the key log say {value}")


def dsb_text(capture):
    """The TLS key log text of a pcapng's Decryption Secrets Blocks, read here block by block
    (tshark 4.0's editcap cannot extract them)."""
    data = open(capture, "rb").read()
    text, at, order = [], 0, "<"
    while at + 12 <= len(data):
        if data[at:at + 4] == b"\x0a\x0d\x0d\x0a":  # a section header: its byte order
            order = "<" if data[at + 8:at + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        kind, length = struct.unpack(order + "II", data[at:at + 8])
        if length < 12 or at + length > len(data):
            break
        if kind == 0x0A:
            secret_type, size = struct.unpack(order + "II", data[at + 8:at + 16])
            if secret_type == 0x544C534B:
                text.append(data[at + 16:at + 16 + size].decode(errors="replace"))
        at += length
    return "\n".join(text)


def suites_problems(tattle, traces):
    """tls-suites.pcapng (scripts/make-traces): each connection with its own cipher suite, and
    every one decrypted; one without encrypt-then-MAC; a KeyUpdate; resumed sessions (TLS 1.2 and
    1.3: their requests are among those check_http() compares); bodies gzip'd and br'd by nginx,
    which must come out as the file scripts/make-traces served (its awk line, rewritten here)."""
    capture, keys = os.path.join(traces, "tls-suites.pcapng"), os.path.join(traces, "tls-suites.keylog")
    problems = []
    out = subprocess.run(["tshark", "-r", capture, "-o", f"tls.keylog_file:{keys}", "-Y",
                          "tls.handshake.type == 2 || tls.handshake.type == 24", "-T", "fields", "-e", "tcp.stream",
                          "-e", "tls.handshake.type", "-e", "tls.handshake.ciphersuite",
                          "-e", "tls.handshake.extension.type"], capture_output=True, text=True).stdout
    suites, key_updates, without_etm = set(), 0, 0
    for line in out.splitlines():
        stream, types, suite, extensions = (line.split("\t") + ["", "", ""])[:4]
        if "24" in types.split(","):
            key_updates += types.split(",").count("24")
        if suite:
            suites.add(int(suite.split(",")[0], 16))
            cbc = int(suite.split(",")[0], 16) in CBC_SHA1 | {0xC028}
            if cbc and "22" not in extensions.split(","):
                without_etm += 1
    want = {0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0xC02F, 0xC030, 0xCCA8, 0xC013, 0xC028, 0xC014, 0xC09C, 0xC0A0}
    if not want <= suites or key_updates == 0 or without_etm == 0:
        problems.append(f"tls-suites.pcapng: suites {sorted(hex(x) for x in suites)}, {key_updates} KeyUpdates, "
                        f"{without_etm} CBC connections without encrypt-then-MAC: not the session make-traces makes")
    out = subprocess.run([tattle, "audit", "-q", capture, "--keylog", keys, "--include-bodies", "--json", "-"],
                         capture_output=True, text=True)
    report = json.loads(out.stdout)
    tls_flows = [f for f in report["flows"] if f.get("sni")]
    if not tls_flows or not all(f.get("decrypted") for f in tls_flows):
        problems.append("tls-suites.pcapng: not every TLS flow decrypted: " +
                        str([(f["id"], f.get("decrypt_reason")) for f in tls_flows if not f.get("decrypted")]))
    served = "".join(f"{i:06d} tattle report line: the quick brown fox jumps over the lazy dog\n" for i in range(1, 2601))
    coded = [m for m in report["messages"] if m.get("response", {}).get("content_encoding") in ("gzip", "br")]
    if {m["response"]["content_encoding"] for m in coded} != {"gzip", "br"}:
        problems.append("tls-suites.pcapng: no gzip'd and br'd response bodies to check")
    for m in coded:
        body = m["response"].get("body", "")
        if body != served[:len(body)] or len(body) != 64 * 1024 or m["response"]["body_whole"]:
            problems.append(f"tls-suites.pcapng: flow {m['flow']}: the {m['response']['content_encoding']} body "
                            f"decoded to {len(body)} bytes that are not the first 64 KiB of the file served")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tattle", required=True)
    ap.add_argument("--traces", required=True)
    ap.add_argument("--corpus")
    args = ap.parse_args()
    problems = []

    sample, keys = os.path.join(args.traces, "sample.pcap"), os.path.join(args.traces, "sample.keylog")
    text = open(keys).read()
    randoms, logged = client_randoms(sample), keylog_randoms(text)
    want = expected(randoms, logged)
    if want["handshakes_with_keys"] == 0:
        problems.append("sample.pcap: no handshake of the sample is in its key log: the test tests nothing")
    check("sample.pcap --keylog sample.keylog", tattle_keylog(args.tattle, sample, keys), want, problems)
    check("sample-dsb.pcapng", tattle_keylog(args.tattle, os.path.join(args.traces, "sample-dsb.pcapng")), want,
          problems)
    decrypted, requests = check_decryption("sample.pcap", args.tattle, sample, keys, problems)
    if decrypted == 0 or requests == 0:
        problems.append("sample.pcap: no application data decrypted or no HTTP request read: the test tests nothing")
    check_decryption("sample-dsb.pcapng", args.tattle, os.path.join(args.traces, "sample-dsb.pcapng"), None, problems)
    suites = os.path.join(args.traces, "tls-suites.pcapng")
    check_decryption("tls-suites.pcapng", args.tattle, suites, os.path.join(args.traces, "tls-suites.keylog"), problems)
    problems += suites_problems(args.tattle, args.traces)
    # Wrong keys: every client random altered in its last digit. Nothing matches, nothing breaks.
    with tempfile.NamedTemporaryFile("w", suffix=".keylog", delete=False) as f:
        for line in text.splitlines():
            fields = line.split()
            if len(fields) == 3:
                fields[1] = fields[1][:-1] + ("0" if fields[1][-1] != "0" else "1")
            f.write(" ".join(fields) + "\n")
        wrong = f.name
    try:
        check("sample.pcap with wrong keys", tattle_keylog(args.tattle, sample, wrong),
              expected(randoms, keylog_randoms(open(wrong).read())), problems)
    finally:
        os.unlink(wrong)
    # Wrong secrets for the right connections (every secret's first byte altered): each keyed TLS
    # flow fails at its first protected record, nothing is decrypted or read as HTTP, and the run
    # still ends well.
    suites_keys = os.path.join(args.traces, "tls-suites.keylog")
    with tempfile.NamedTemporaryFile("w", suffix=".keylog", delete=False) as f:
        for line in open(suites_keys):
            fields = line.split()
            if len(fields) == 3:
                fields[2] = ("0" if fields[2][0] != "0" else "1") + fields[2][1:]
            f.write(" ".join(fields) + "\n")
        bad_secrets = f.name
    try:
        out = subprocess.run([args.tattle, "audit", "-q", os.path.join(args.traces, "tls-suites.pcapng"), "--keylog",
                              bad_secrets, "--json", "-"], capture_output=True, text=True)
        report = json.loads(out.stdout) if out.returncode == 0 else {}
        keyed = [f for f in report.get("flows", []) if f.get("sni")]
        if (out.returncode != 0 or not keyed or any(f.get("decrypted") for f in keyed)
                or any(f.get("decrypt_reason") != "bad_record" for f in keyed)
                or [m for m in report["messages"] if m["decrypted"]]):
            problems.append(f"tls-suites.pcapng with wrong secrets: exit {out.returncode}, "
                            f"{[(f['id'], f.get('decrypted'), f.get('decrypt_reason')) for f in keyed]}")
    finally:
        os.unlink(bad_secrets)
    # No key log and no pcapng: no key could be had, so no handshake is counted either way.
    check("sample.pcap without a key log", tattle_keylog(args.tattle, sample),
          {"handshakes_with_keys": 0, "handshakes_without_keys": 0, "connections": 0, "unused": 0}, problems)
    checked = 6

    if args.corpus:
        catalog = os.path.join(args.corpus, "CATALOG.md")
        if not os.path.exists(catalog):
            print(f"SKIPPED: {args.corpus} not found")
        else:
            for line in open(catalog):
                cells = [c.strip() for c in line.split("|")]
                if len(cells) < 8 or not cells[1] or not cells[6] or cells[1] == "capture" or cells[1].startswith("-"):
                    continue
                capture = os.path.join(args.corpus, cells[1])
                if cells[6] == "DSB in file":
                    text, keylog = dsb_text(capture), None
                else:
                    keylog = os.path.join(args.corpus, cells[6])
                    text = open(keylog, errors="replace").read()
                want = expected(client_randoms(capture), keylog_randoms(text))
                check(cells[1], tattle_keylog(args.tattle, capture, keylog), want, problems)
                check_decryption(cells[1], args.tattle, capture, keylog, problems)
                print(f"{cells[1]}: {want}")
                checked += 1

    for p in problems:
        print("MISMATCH", p)
    print(f"{checked} captures checked, {len(problems)} mismatches")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
