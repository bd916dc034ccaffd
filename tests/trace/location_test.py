#!/usr/bin/env python3
"""Places against libloc's own command line: for every destination tattle reports (server
addresses of the given captures, and of every capture under --corpus when that folder exists),
the ASN, AS name, country and anycast flag must be what `location lookup` says for the address
in the same IPFire database, and addresses it knows nothing of must have none.

Usage: location_test.py --tattle BIN [--corpus DIR] CAPTURE...
"""
import argparse
import json
import os
import re
import subprocess
import sys


def destinations(tattle, capture):
    out = subprocess.run([tattle, "audit", "-q", capture, "--json", "-"], capture_output=True, text=True)
    if out.returncode not in (0, 3):
        sys.exit(f"{capture}: tattle exited {out.returncode}: {out.stderr}")
    report = json.loads(out.stdout)
    return report["destinations"], report["enrichment"]["location_databases"]


def country_codes(database):
    out = subprocess.run(["location", "--database", database, "list-countries", "--show-name"],
                         capture_output=True, text=True, check=True)
    return {line[3:].strip(): line[:2] for line in out.stdout.splitlines() if len(line) > 3}


def parse_lookup(text, codes, found):
    current = None
    for line in text.splitlines():
        if m := re.match(r"^Nothing found for (\S+)", line):
            found[m.group(1)] = None
        elif m := re.match(r"^(\S+):$", line):
            current = m.group(1)
            found[current] = {"asn": None, "as_name": None, "country": None, "anycast": False}
        elif current and (m := re.match(r"^\s+(\w[\w ]*?)\s+: (.*)$", line)):
            key, value = m.group(1), m.group(2).strip()
            if key == "Country":
                found[current]["country"] = codes.get(value, value)
            elif key == "Autonomous System":
                asn, _, name = value.partition(" - ")
                found[current]["asn"] = int(asn[2:])
                found[current]["as_name"] = name or None
            elif key == "Anycast":
                found[current]["anycast"] = value == "yes"


def lookup(database, addresses, codes):
    """{address: {"asn", "as_name", "country", "anycast"} or None}, from `location lookup`.
    The command stops at an address libloc refuses (reserved ranges such as 0.0.0.0/8 or
    NAT64's 64:ff9b::/96: "Inappropriate ioctl for device"); such a batch is asked again one
    address at a time, and a refused address counts as one libloc knows nothing of."""
    found = {}
    command = ["location", "--database", database, "lookup"]
    for start in range(0, len(addresses), 50):
        batch = addresses[start:start + 50]
        out = subprocess.run(command + batch, capture_output=True, text=True)
        if out.returncode == 0:
            parse_lookup(out.stdout, codes, found)
            continue
        for address in batch:
            one = subprocess.run(command + [address], capture_output=True, text=True)
            if one.returncode == 0:
                parse_lookup(one.stdout, codes, found)
            else:
                found[address] = None
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tattle", required=True)
    ap.add_argument("--corpus")
    ap.add_argument("captures", nargs="*")
    args = ap.parse_args()
    captures = list(args.captures)
    if args.corpus:
        if not os.path.isdir(args.corpus):
            print(f"SKIPPED: {args.corpus} not found")
            return 0
        for root, _, files in os.walk(args.corpus):
            captures += [os.path.join(root, f) for f in sorted(files)
                         if re.search(r"\.(pcap|pcapng|cap)(\.gz)?$", f)]
    try:
        subprocess.run(["location", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print("SKIPPED: libloc's `location` command is not installed")
        return 0

    seen = {}
    database = None
    for capture in sorted(captures):
        dests, sources = destinations(args.tattle, capture)
        libloc = [s for s in sources if s.startswith("location: ")]
        if not libloc:
            print("SKIPPED: tattle found no IPFire location database")
            return 0
        database = libloc[0][len("location: "):].rsplit(" (", 1)[0]
        for d in dests:
            seen.setdefault(d["ip"], (d, capture))
    codes = country_codes(database)
    truth = lookup(database, sorted(seen), codes)

    failures = []
    placed = 0
    for ip, (d, capture) in sorted(seen.items()):
        want = truth.get(ip, "missing")
        if want == "missing":
            failures.append(f"{capture}: {ip}: `location lookup` said nothing")
            continue
        got = {k: d[k] for k in ("asn", "as_name", "country", "anycast")}
        if want is None:
            want = {"asn": None, "as_name": None, "country": None, "anycast": False}
        if got != want:
            failures.append(f"{capture}: {ip}: tattle {got}, location lookup {want}")
        if got["asn"] or got["country"]:
            placed += 1
    print(f"{len(seen)} server addresses in {len(captures)} captures; {placed} placed; "
          f"{len(failures)} disagree with `location lookup` ({database})")
    for f in failures[:50]:
        print("  " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
