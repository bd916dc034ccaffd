#!/usr/bin/env python3
"""Trace tests of the command line: exit statuses, messages about bad input (naming the file
and the byte offset), gzip, merging, NDJSON and threads, all on the project's own sample."""
import collections
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile

TATTLE = sys.argv[1]
SAMPLE = sys.argv[2]  # a clean pcapng made by scripts/make-traces
results = []


def run(*args):
    return subprocess.run([TATTLE, *args], capture_output=True, text=True, timeout=300)


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def report(*paths, extra=()):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        r = run("audit", *paths, "--quiet", "--json", out.name, *extra)
        with open(out.name, encoding="utf-8") as fh:
            return r, json.load(fh)


def flows_key(doc):
    return sorted((f["id"], f["client"], f["server"], f["packets_out"], f["packets_in"], f["bytes_out"],
                   f["bytes_in"]) for f in doc["flows"])


with tempfile.TemporaryDirectory() as tmp:
    data = open(SAMPLE, "rb").read()
    clean, base = report(SAMPLE)
    check("clean sample exits 0", clean.returncode == 0, clean.stderr)
    check("clean sample prints nothing on stderr", clean.stderr == "", clean.stderr)
    check("sample has flows", len(base["flows"]) > 0)
    packets = base["inputs"][0]["packets"]

    r = run()
    check("no arguments is a usage error (1)", r.returncode == 1, r.returncode)
    r = run("audit", "--threads", "0", SAMPLE)
    check("bad option value is a usage error (1)", r.returncode == 1, r.returncode)

    r = run("audit", SAMPLE, "--json", "-", "--ndjson", "-")
    check("two reports on stdout is a usage error (1)", r.returncode == 1, r.returncode)

    missing = os.path.join(tmp, "missing.pcap")
    r = run("audit", missing)
    check("missing file exits 2", r.returncode == 2 and "missing.pcap" in r.stderr, (r.returncode, r.stderr))

    empty = os.path.join(tmp, "empty.pcap")
    open(empty, "wb").close()
    r = run("audit", empty)
    check("zero-length file exits 2 naming it", r.returncode == 2 and "empty.pcap" in r.stderr, (r.returncode, r.stderr))

    garbage = os.path.join(tmp, "garbage.pcap")
    open(garbage, "wb").write(bytes((i * 37 + 11) % 256 for i in range(5000)))
    r = run("audit", garbage)
    check("garbage file exits 2 naming it", r.returncode == 2 and "garbage.pcap" in r.stderr, (r.returncode, r.stderr))

    r = run("audit", empty, SAMPLE, "--quiet", "--json", os.path.join(tmp, "partial.json"))
    doc = json.load(open(os.path.join(tmp, "partial.json"), encoding="utf-8"))
    check("an unreadable input among good ones: exit 2, the good one still reported",
          r.returncode == 2 and doc["inputs"][1]["packets"] == packets and "error" in doc["inputs"][0],
          (r.returncode, doc["inputs"]))

    cut = os.path.join(tmp, "cut.pcapng")
    open(cut, "wb").write(data[: len(data) * 2 // 3])
    r, doc = report(cut)
    check("truncated file exits 3 with file and offset",
          r.returncode == 3 and "cut.pcapng" in r.stderr and "offset" in r.stderr, (r.returncode, r.stderr))
    check("truncated file: what was readable is reported",
          0 < doc["inputs"][0]["packets"] < packets and doc["inputs"][0]["warnings_total"] > 0)

    # Walk the sample's pcapng blocks (little-endian, as tcpdump wrote it) to find EPBs.
    epbs = []
    at = 0
    while at + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, at)
        if btype == 6:
            epbs.append(at)
        at += blen

    lying = bytearray(data)
    victim = epbs[len(epbs) // 2]
    struct.pack_into("<I", lying, victim + 4, 0x7FFFFFF0)
    path = os.path.join(tmp, "lying-block.pcapng")
    open(path, "wb").write(lying)
    r, doc = report(path)
    check("a block whose length lies: exit 3, its offset named, every other packet read",
          r.returncode == 3 and f"offset {victim}" in r.stderr and doc["inputs"][0]["packets"] == packets - 1,
          (r.returncode, r.stderr, doc["inputs"][0]["packets"], packets))

    # An IPv4 header that claims more bytes than its frame holds (EPB body: 20 bytes of header,
    # then Ethernet; total length at IPv4 offset 2).
    lying = bytearray(data)
    for block in epbs:
        frame = block + 28
        if lying[frame + 12:frame + 14] == b"\x08\x00" and lying[frame + 14] == 0x45:
            struct.pack_into(">H", lying, frame + 16, 0xFFF0)
            break
    path = os.path.join(tmp, "lying-header.pcapng")
    open(path, "wb").write(lying)
    r, doc = report(path)
    check("a packet whose header lies: exit 3, its frame's offset named, counted as malformed",
          r.returncode == 3 and f"offset {block}" in r.stderr and doc["stats"]["decode"]["malformed"] == 1
          and doc["inputs"][0]["packets"] == packets, (r.returncode, r.stderr))

    gz = os.path.join(tmp, "sample.pcapng.gz")
    with gzip.open(gz, "wb") as fh:
        fh.write(data)
    r, doc = report(gz)
    check("gzip'd input gives the same flows", r.returncode == 0 and flows_key(doc) == flows_key(base)
          and doc["inputs"][0]["gzip"] is True, r.stderr)

    r, doc = report(SAMPLE, SAMPLE)
    check("two inputs are merged", r.returncode == 0 and doc["stats"]["frames"] == 2 * packets, r.stderr)

    r, doc = report(SAMPLE, extra=("--threads", "2"))
    check("--threads 2 gives the same flows", r.returncode == 0 and flows_key(doc) == flows_key(base))

    r = run("audit", SAMPLE, "--quiet", "--ndjson", "-")
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    kinds = collections.Counter(line.get("type") for line in lines)
    check("--ndjson - writes one flow, DNS transaction or HTTP message per line, then one destination per line",
          r.returncode == 0 and kinds == {"flow": len(base["flows"]), "dns": len(base["dns"]),
                                          "message": len(base["messages"]),
                                          "destination": len(base["destinations"])} and kinds["dns"] > 0
          and kinds["message"] > 0
          and [line["type"] for line in lines[-len(base["destinations"]):]] == ["destination"] * len(base["destinations"]),
          (r.returncode, kinds))

    r, only = report(SAMPLE, extra=["--flows-only"])
    check("--flows-only: the same flows, unnamed, and no DNS log",
          r.returncode == 0 and flows_key(only) == flows_key(base) and only["dns"] == [] and base["dns"] != []
          and all(f["name"] is None and f["names"] == [] for f in only["flows"])
          and any(f["name"] for f in base["flows"]),
          (r.returncode, len(only["flows"]), len(only["dns"])))

    r = run("audit", SAMPLE, "--flows-only", "--keylog", SAMPLE)
    check("--keylog with --flows-only is a usage error (1)", r.returncode == 1 and "--keylog" in r.stderr,
          (r.returncode, r.stderr))
    r = run("audit", SAMPLE, "--keylog", os.path.join(tmp, "missing.keys"))
    check("a missing key log is a usage error (1)", r.returncode == 1, (r.returncode, r.stderr))
    keys = os.path.join(tmp, "damaged.keys")
    good = "CLIENT_RANDOM " + "ab" * 32 + " " + "cd" * 48 + "\n"
    with open(keys, "w") as f:
        f.write(good + "CLIENT_RANDOM " + "ab" * 31 + " " + "cd" * 48 + "\n" + good)
    r, doc = report(SAMPLE, extra=["--keylog", keys])
    check("a damaged key log line: exit 3, the key log and the line's offset named, the rest read",
          r.returncode == 3 and "damaged.keys" in r.stderr and f"offset {len(good)}" in r.stderr
          and doc["stats"]["keylog"]["malformed"] == 1 and doc["stats"]["keylog"]["repeated"] == 1,
          (r.returncode, r.stderr))

    # A HAR, written here: two entries on two connections, one a WebSocket with two messages;
    # the answers are read back with Python's json, not tattle's reader.
    har = {"log": {"version": "1.2", "creator": {"name": "cli_test", "version": "1"}, "entries": [
        {"startedDateTime": "2026-11-25T10:00:00.000Z", "time": 50, "serverIPAddress": "192.0.2.10",
         "request": {"method": "POST", "url": "https://api.example.com/v1/track?uid=42", "httpVersion": "h2",
                     "headers": [{"name": "content-type", "value": "application/json"}],
                     "postData": {"mimeType": "application/json", "text": '{"lat":52.52}'},
                     "headersSize": 100, "bodySize": 13},
         "response": {"status": 200, "httpVersion": "h2", "headers": [], "headersSize": 50, "bodySize": 2,
                      "content": {"size": 2, "mimeType": "application/json", "text": "{}"}}},
        {"startedDateTime": "2026-11-25T10:00:01.000Z", "time": 10, "serverIPAddress": "192.0.2.11",
         "request": {"method": "GET", "url": "wss://chat.example.com/s", "httpVersion": "HTTP/1.1", "headers": []},
         "response": {"status": 101, "httpVersion": "HTTP/1.1", "headers": []},
         "_webSocketMessages": [{"type": "send", "time": 1795600801.5, "opcode": 1, "data": "hello"},
                                {"type": "receive", "time": 1795600801.6, "opcode": 1, "data": "hi"}]}]}}
    har_path = os.path.join(tmp, "session.har")
    with open(har_path, "w") as f:
        json.dump(har, f, indent=1)
    r, doc = report(har_path, extra=["--include-bodies"])
    posts = [m for m in doc["messages"] if m.get("method") == "POST"]
    check("a HAR: its entries and WebSocket messages as messages, its connections as flows",
          r.returncode == 0 and doc["inputs"][0]["format"] == "har" and doc["inputs"][0]["records"] == 2
          and len(doc["messages"]) == 4 and len(doc["flows"]) == 2
          and [m["version"] for m in doc["messages"]] == ["HTTP/2", "HTTP/1.1", "WebSocket", "WebSocket"]
          and posts and posts[0]["authority"] == "api.example.com" and posts[0]["path"] == "/v1/track?uid=42"
          and posts[0]["request"]["body"] == '{"lat":52.52}' and posts[0]["status"] == 200
          and {f["name"] for f in doc["flows"]} == {"api.example.com", "chat.example.com"}
          and sum(f["bytes_out"] for f in doc["flows"]) == 113,
          (r.returncode, r.stderr, doc.get("messages"), [f.get("name") for f in doc["flows"]]))
    r = run("messages", har_path, "--bodies")
    check("tattle messages on a HAR shows the exchanges and what was typed into the WebSocket",
          r.returncode == 0 and "POST https://api.example.com/v1/track?uid=42" in r.stdout and "hello" in r.stdout,
          (r.returncode, r.stdout, r.stderr))

    r = run("audit", SAMPLE)
    check("text summary without --json", r.returncode == 0 and "flows" in r.stdout and r.stderr == "",
          (r.returncode, r.stderr))

print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)
