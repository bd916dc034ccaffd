#!/usr/bin/env python3
"""Detection and false-alarm rates of `tattle audit --keystrokes` over labelled sessions made by
scripts/make-keystroke-traces (DIR/keys-S.truth.json with its capture, key log and keystroke logs).

Usage: bench/keystroke_rates.py [--tattle build/tattle] DIR [DIR ...]
Each DIR is one batch (say, sessions of 30 keys, and of 80). Every session is audited with each of
its keystroke logs; a destination counts as detected when it is flagged with its expected pattern
(flagged with another pattern is counted apart), as a false alarm when it is flagged without being
expected; a log of another session should flag nothing. Prints a Markdown table.
"""
import argparse
import collections
import glob
import json
import os
import subprocess
import tempfile


def audit(tattle, capture, keylog, log):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([tattle, "audit", "-q", capture, "--keylog", keylog, "--keystrokes", log, "--json", out.name],
                       capture_output=True, text=True, timeout=600)
        with open(out.name, encoding="utf-8") as fh:
            return json.load(fh)


def batch(tattle, directory):
    c = collections.Counter()
    keys = set()
    for path in sorted(glob.glob(os.path.join(directory, "keys-*.truth.json"))):
        truth = json.load(open(path))
        keys.add(truth["keystrokes"])
        c["sessions"] += 1
        capture = os.path.join(directory, truth["capture"])
        keylog = os.path.join(directory, truth["keylog"])
        for name, log in truth["logs"].items():
            doc = audit(tattle, capture, keylog, os.path.join(directory, name))
            found = {f["name"]: f for f in doc["findings"] if f["kind"] == "keystroke"}
            source = doc["keystrokes"]["offset"]["source"]
            if log.get("other_session"):
                c["other_logs"] += 1
                c["other_logs_flagging"] += 1 if found else 0
                c["other_destinations"] += len(truth["destinations"])
                c["other_false_alarms"] += len(found)
                continue
            c["logs"] += 1
            c["offset_estimated"] += 1 if source == "estimated" else 0
            for d in truth["destinations"]:
                got = found.get(d["name"])
                if d["expect"] is None:
                    c["null_destinations"] += 1
                    c["false_alarms"] += 1 if got else 0
                    continue
                c[d["expect"] + ":n"] += 1
                if got and got["pattern"] == d["expect"]:
                    c[d["expect"] + ":hit"] += 1
                elif got:
                    c[d["expect"] + ":other_pattern"] += 1
    return c, keys


def rate(a, b):
    return f"{100.0 * a / b:.1f} % ({a}/{b})" if b else "—"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tattle", default=os.path.join(os.path.dirname(__file__), "..", "build", "tattle"))
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    print("| keys a session | sessions | logs | offset estimated | per-key detected | debounced detected "
          "| batched detected | flagged with another pattern | false alarms per destination "
          "| another session's log: logs flagging anything | … false alarms per destination |")
    print("|" + "---|" * 11)
    for d in args.dirs:
        c, keys = batch(args.tattle, d)
        other_pattern = sum(c[p + ":other_pattern"] for p in ("per-key", "debounced", "batched"))
        expected = sum(c[p + ":n"] for p in ("per-key", "debounced", "batched"))
        print(f"| {', '.join(map(str, sorted(keys)))} | {c['sessions']} | {c['logs']} | "
              f"{rate(c['offset_estimated'], c['logs'])} | {rate(c['per-key:hit'], c['per-key:n'])} | "
              f"{rate(c['debounced:hit'], c['debounced:n'])} | {rate(c['batched:hit'], c['batched:n'])} | "
              f"{rate(other_pattern, expected)} | {rate(c['false_alarms'], c['null_destinations'])} | "
              f"{rate(c['other_logs_flagging'], c['other_logs'])} | "
              f"{rate(c['other_false_alarms'], c['other_destinations'])} |")


if __name__ == "__main__":
    main()
