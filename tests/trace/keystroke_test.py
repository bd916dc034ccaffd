#!/usr/bin/env python3
"""Trace tests of `tattle audit --keystrokes` on the project's labelled captures
(scripts/make-keystroke-traces: tests/traces/keys-*.pcapng with their truth.json and keystroke
logs in every format). The truth says which destination the typing client sent to per key, after
a debounce, per batch of keys, and which got telemetry, a download or browsing; tshark, reading
the same capture with the key log, is the oracle for the HTTP requests sent per key.

Checks, for every capture and every log of it:
  - the per-key and debounced destinations (and the batched one) are flagged, with their pattern;
    the others are not;
  - the estimated clock offset is the truth's, up to the per-key sender's quickest lag;
  - with the truth's offset given, the lags are the client's own (its per-key delay; the
    debounce);
  - a log of another session flags nothing;
  - the requests sent in step are those tshark decodes to the per-key destination;
and that `tattle keys record` writes a log (of input events) that the audit reads the same way.
"""
import argparse
import glob
import json
import os
import struct
import subprocess
import sys
import tempfile

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def audit(tattle, capture, keylog, log, *extra):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        r = subprocess.run([tattle, "audit", "-q", capture, "--keylog", keylog, "--keystrokes", log, "--json", out.name,
                            *extra], capture_output=True, text=True, timeout=300)
        with open(out.name, encoding="utf-8") as fh:
            return r, json.load(fh)


def tshark_requests(capture, keylog, ip):
    """The frame times of the HTTP requests tshark decodes to `ip`."""
    r = subprocess.run(["tshark", "-r", capture, "-o", f"tls.keylog_file:{keylog}", "-Y",
                        f"http.request && ip.dst == {ip}", "-T", "fields", "-e", "frame.time_epoch"],
                       capture_output=True, text=True, timeout=300, check=True)
    return [float(x) for x in r.stdout.split()]


def keystroke_findings(doc):
    return {f["name"]: f for f in doc["findings"] if f["kind"] == "keystroke"}


def check_capture(tattle, truth_path):
    base = os.path.dirname(truth_path)
    truth = json.load(open(truth_path))
    capture = os.path.join(base, truth["capture"])
    keylog = os.path.join(base, truth["keylog"])
    tag = os.path.basename(capture)
    expect = {d["name"]: d["expect"] for d in truth["destinations"]}
    per_key = next(d for d in truth["destinations"] if d["role"] == "per-key")
    lag_lo, lag_hi = truth["per_key_delay_ms"]

    for name, log in sorted(truth["logs"].items()):
        path = os.path.join(base, name)
        r, doc = audit(tattle, capture, keylog, path)
        found = keystroke_findings(doc)
        k = doc["keystrokes"]
        if log.get("other_session"):
            check(f"{tag} {name}: another session's log flags nothing", not found and r.returncode == 0,
                  (sorted(found), r.returncode, r.stderr))
            continue
        check(f"{tag} {name}: all {truth['keystrokes']} keystrokes read", k["keystrokes"] == truth["keystrokes"],
              k["keystrokes"])
        check(f"{tag} {name}: exit status 4 (findings)", r.returncode == 4, (r.returncode, r.stderr))
        wanted = {n: e for n, e in expect.items() if e is not None}
        for n, pattern in wanted.items():
            got = found.get(n)
            check(f"{tag} {name}: {n} flagged {pattern}", got is not None and got["pattern"] == pattern,
                  got and (got["pattern"], got["p_value"]))
        check(f"{tag} {name}: nothing else flagged", set(found) <= set(wanted), sorted(set(found) - set(wanted)))
        off = k["offset"]
        error_ms = (off["seconds"] - log["offset_s"]) * 1000 if off["seconds"] is not None else None
        check(f"{tag} {name}: offset estimated within the per-key sender's lag",
              off["source"] == "estimated" and error_ms is not None and -5 <= error_ms <= lag_hi + 5,
              (off, log["offset_s"], error_ms))

        if name.endswith(".csv") and "iso" not in name:
            # The truth's offset given: lags are the client's own.
            r2, doc2 = audit(tattle, capture, keylog, path, "--keystroke-offset", repr(log["offset_s"]))
            found2 = keystroke_findings(doc2)
            pk = found2.get(per_key["name"])
            check(f"{tag} {name}: given offset is used", doc2["keystrokes"]["offset"]["source"] == "given",
                  doc2["keystrokes"]["offset"])
            check(f"{tag} {name}: per-key lag is the client's delay ({lag_lo}-{lag_hi} ms)",
                  pk is not None and lag_lo - 2 <= pk["median_lag_ms"] <= lag_hi + 10, pk and pk["median_lag_ms"])
            deb = next((f for n, f in found2.items() if expect.get(n) == "debounced"), None)
            check(f"{tag} {name}: debounced lag is the debounce ({truth['debounce_ms']} ms)",
                  deb is not None and truth["debounce_ms"] <= deb["median_lag_ms"] <= truth["debounce_ms"] + 60,
                  deb and deb["median_lag_ms"])
            # tshark's requests to the per-key server are what the finding points to.
            sent = tshark_requests(capture, keylog, per_key["ip"])
            ids = {f["id"] for f in doc2["flows"] if f["server"] == f"{per_key['ip']}:{per_key['port']}"}
            check(f"{tag} {name}: tshark decodes a request per keystroke to {per_key['name']}",
                  len(sent) == truth["keystrokes"], len(sent))
            check(f"{tag} {name}: the requests in step are tshark's ({len(sent)})",
                  pk is not None and 0.9 * len(sent) <= pk["messages_total"] <= len(sent)
                  and set(m["flow"] for m in pk["messages"]) <= ids and set(pk["flow_ids"]) <= ids,
                  pk and (pk["messages_total"], pk["flow_ids"], sorted(ids)))
    return truth


def check_recorder(tattle, truth):
    """Input events at the truth's key times (plus a skew), key-ups, repeats, a mouse button and a
    volume key among them, through `tattle keys record` into the audit."""
    base_dir = os.path.dirname(truth["_path"])
    capture = os.path.join(base_dir, truth["capture"])
    keylog = os.path.join(base_dir, truth["keylog"])
    skew = 1.75
    with tempfile.TemporaryDirectory() as tmp:
        events = os.path.join(tmp, "events")
        with open(events, "wb") as fh:
            def ev(t, typ, code, value):
                sec = int(t)
                fh.write(struct.pack("qqHHi", sec, int(round((t - sec) * 1e6)), typ, code, value))
            for i, t in enumerate(truth["key_times"]):
                t -= skew
                ev(t, 1, 30 + i % 20, 1)
                ev(t, 0, 0, 0)
                ev(t + 0.06, 1, 30 + i % 20, 0)
                if i % 10 == 0:
                    ev(t + 0.07, 1, 0x110, 1)  # BTN_LEFT
                    ev(t + 0.08, 1, 115, 1)    # KEY_VOLUMEUP
                    ev(t + 0.09, 1, 30, 2)     # a repeat
        log = os.path.join(tmp, "typing.csv")
        r = subprocess.run([tattle, "keys", "record", "--device", events, "--out", log], capture_output=True, text=True,
                           timeout=60)
        check("keys record reads a file of input events", r.returncode == 0, r.stderr)
        lines = open(log).read().splitlines()
        times = [l for l in lines if l and l[0].isdigit()]
        check("keys record writes one time per key-down", len(times) == len(truth["key_times"]), len(times))
        check("keys record writes times only", all(l.replace(".", "", 1).isdigit() for l in times)
              and all(l.startswith("#") or l == "time" or l in times for l in lines), lines[:6])
        r, doc = audit(tattle, capture, keylog, log)
        k = doc["keystrokes"]
        check("a recorded log is read as tattle's own", k["format"] == "tattle" and k["clock"] == "epoch", k)
        check("a recorded log's offset is estimated",
              k["offset"]["source"] == "estimated" and abs(k["offset"]["seconds"] - skew) < 0.05, k["offset"])
        per_key = next(d for d in truth["destinations"] if d["role"] == "per-key")
        check("a recorded log finds the per-key sender", per_key["name"] in keystroke_findings(doc))

        r = subprocess.run([tattle, "keys", "record", "--device", os.path.join(tmp, "none"), "--out", log],
                           capture_output=True, text=True, timeout=60)
        check("keys record on a missing device exits 2", r.returncode == 2 and "none" in r.stderr, r.stderr)


def check_damage(tattle, truth):
    """A damaged log: warned at its line's offset, the rest still read."""
    base_dir = os.path.dirname(truth["_path"])
    capture = os.path.join(base_dir, truth["capture"])
    keylog = os.path.join(base_dir, truth["keylog"])
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "damaged.csv")
        text = "time\n" + "".join(f"{t:.6f}\n" for t in truth["key_times"][:40]) + "soon\n"
        offset = len(text.encode()) - len("soon\n")
        text += "".join(f"{t:.6f}\n" for t in truth["key_times"][40:])
        open(log, "w").write(text)
        r, doc = audit(tattle, capture, keylog, log)
        check("a damaged log line is warned with the file and byte offset",
              f"damaged.csv" in r.stderr and f"offset {offset}" in r.stderr, r.stderr)
        check("the rest of a damaged log is read", doc["keystrokes"]["keystrokes"] == len(truth["key_times"]),
              doc["keystrokes"])
        check("a damaged log still finds the per-key sender", any(
            f["pattern"] == "per-key" for f in keystroke_findings(doc).values()))
        empty = os.path.join(tmp, "empty.csv")
        open(empty, "w").write("time\n")
        r = subprocess.run([tattle, "audit", "-q", capture, "--keystrokes", empty], capture_output=True, text=True)
        check("a log without times exits 2", r.returncode == 2 and "empty.csv" in r.stderr, (r.returncode, r.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tattle", required=True)
    ap.add_argument("--traces", required=True)
    args = ap.parse_args()
    truths = sorted(glob.glob(os.path.join(args.traces, "keys-*.truth.json")))
    check("labelled keystroke captures are there", len(truths) > 0, args.traces)
    for path in truths:
        truth = check_capture(args.tattle, path)
        truth["_path"] = path
    if truths:
        check_recorder(args.tattle, truth)
        check_damage(args.tattle, truth)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
