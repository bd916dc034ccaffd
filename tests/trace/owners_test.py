#!/usr/bin/env python3
"""Owners, places, tags, apps and the policy, end to end on a capture (the demo's by default).

The oracles are independent of tattle's code: the entity catalog's TOML files read here with
Python's tomllib and matched by the rules docs/entities.md states (whole-label domain suffixes,
the longest first; a name says more than an address; fronts are not owners), and the policy's
rules as docs/policy.md states them, applied here to every flow of the report. Also: exit
statuses (4 on a breach), --app-map, --tag-list, NDJSON's destination and finding lines, and a
terminal summary that fits 100 columns, in colour only when asked.

The App Privacy Report given last is audited on its own, and checked against its own lines:
one flow per networkActivity record with the record's app, domain, hits and times, owners by
the same catalog rules, and a warning naming the byte offset of each damaged line.

Usage: owners_test.py TATTLE CAPTURE APP_MAP POLICY ENTITIES_DIR PRIVACY_REPORT
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import tomllib

TATTLE, CAPTURE, APP_MAP, POLICY, ENTITIES, PRIVACY_REPORT = sys.argv[1:7]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def run(*args):
    return subprocess.run([TATTLE, *args], capture_output=True, text=True, timeout=300)


def audit_json(*args):
    r = run("audit", "-q", CAPTURE, "--json", "-", *args)
    return r, (json.loads(r.stdout) if r.stdout else None)


# The catalog, as the documentation says it is read.
entities = {}
for path in sorted(glob.glob(os.path.join(ENTITIES, "*.toml"))):
    with open(path, "rb") as fh:
        for e in tomllib.load(fh)["entity"]:
            entities[e["name"]] = e
own_domains, front_domains, own_asns, front_asns = {}, {}, {}, {}
for name, e in entities.items():
    for d in e.get("domains", []):
        own_domains[d] = name
    for d in e.get("front_domains", []):
        front_domains[d] = name
    for a in e.get("asns", []):
        own_asns[a] = name
    for a in e.get("front_asns", []):
        front_asns[a] = name


def chain(name):
    out = []
    while name:
        out.append(name)
        name = entities[name].get("parent")
    return out


def expected_owner(flow):
    owner = front = None
    for n in flow["names"]:
        labels = n.lower().rstrip(".").split(".")
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            if suffix in own_domains:
                owner = owner or own_domains[suffix]
                break
            if suffix in front_domains:
                front = front or front_domains[suffix]
                break
    asn = flow["asn"]
    if owner is None and asn in own_asns:
        owner = own_asns[asn]
    net = own_asns.get(asn) or front_asns.get(asn)
    if front is None and net and net != owner and (asn in front_asns or (owner and chain(owner)[-1] != chain(net)[-1])):
        front = net
    return owner, (front if front != owner else None)


def jurisdictions(owner):
    out = []
    for o in chain(owner) if owner else []:
        for c in (entities[o]["jurisdiction"], entities[o].get("headquarters")):
            if c and c not in out:
                out.append(c)
    return out


def expected_breaches(flow, policy):
    deny, allow, exc = (policy.get(k, {}) for k in ("deny", "allow", "except"))
    owners = chain(flow["owner"]) + chain(flow["front"])
    names = [n.lower().rstrip(".") for n in flow["names"]]
    if any(o.lower() == x.lower() for o in owners for x in exc.get("owners", [])) or \
            any(n == d or n.endswith("." + d) for n in names for d in exc.get("domains", [])) or \
            flow["country"] in exc.get("countries", []) or flow["asn"] in exc.get("asns", []) or \
            any(t in exc.get("tags", []) for t in flow["tags"]):
        return set()
    out = set()
    where = (flow["server"].rsplit(":", 1)[0].strip("[]"), int(flow["server"].rsplit(":", 1)[1]))
    for j in jurisdictions(flow["owner"]):
        if j in deny.get("jurisdictions", []):
            out.add(("deny.jurisdictions", j) + where)
    if flow["country"] in deny.get("countries", []):
        out.add(("deny.countries", flow["country"]) + where)
    if flow["asn"] in deny.get("asns", []):
        out.add(("deny.asns", str(flow["asn"])) + where)
    for o in owners:
        if o.lower() in (x.lower() for x in deny.get("owners", [])):
            out.add(("deny.owners", o) + where)
            break
    for t in flow["tags"]:
        if t in deny.get("tags", []):
            out.add(("deny.tags", t) + where)
    return out


with open(POLICY, "rb") as fh:
    policy = tomllib.load(fh)

r, doc = audit_json("--app-map", APP_MAP, "--policy", POLICY)
check("a breached policy exits 4", r.returncode == 4, (r.returncode, r.stderr))
flows = doc["flows"]
check("the capture has flows with owners", sum(1 for f in flows if f["owner"]) >= 5,
      [f["owner"] for f in flows])

wrong = []
for f in flows:
    want = expected_owner(f)
    if (f["owner"], f["front"]) != want:
        wrong.append((f["server"], f["names"], f["asn"], (f["owner"], f["front"]), want))
check(f"every flow's owner and front follow the catalog ({len(flows)} flows)", not wrong, wrong)

want_findings = set()
for f in flows:
    want_findings |= expected_breaches(f, policy)
got_findings = {(x["rule"], x["value"], x["ip"], x["port"]) for x in doc["findings"]}
check(f"findings are the policy's breaches ({len(want_findings)})", got_findings == want_findings and bool(want_findings),
      (sorted(got_findings - want_findings), sorted(want_findings - got_findings)))
for x in doc["findings"]:
    ids = {f["id"] for f in flows if (f["server"].rsplit(":", 1)[0].strip("[]"), int(f["server"].rsplit(":", 1)[1]))
           == (x["ip"], x["port"]) and (x["rule"], x["value"], x["ip"], x["port"]) in expected_breaches(f, policy)}
    if set(x["flow_ids"]) != ids or x["bytes_out"] != sum(f["bytes_out"] for f in flows if f["id"] in ids):
        check("a finding lists its flows and bytes sent", False, (x, ids))
        break
else:
    check("each finding lists its flows and the bytes they sent", True)

devices = dict(line.split()[:2] for line in open(APP_MAP) if line.strip() and not line.startswith("#"))
by_client = {f["client"].rsplit(":", 1)[0].strip("[]"): f["app"] for f in flows}
check("--app-map names every mapped client's flows",
      all(by_client.get(ip) and by_client[ip]["name"] == name for ip, name in devices.items()), by_client)

keys = {"ip", "port", "proto", "names", "front_names", "asn", "as_name", "country", "anycast", "owner", "owner_parent",
        "owner_jurisdiction", "owner_headquarters", "jurisdictions", "front", "tags", "apps", "flows",
        "bytes_out", "bytes_in", "first", "last"}
dests = doc["destinations"]
check("destinations have the documented fields", dests and all(set(d) == keys for d in dests),
      [sorted(set(d) ^ keys) for d in dests][:3])
sums = {}
for f in flows:
    k = (f["server"].rsplit(":", 1)[0].strip("[]"), int(f["server"].rsplit(":", 1)[1]), f["proto"])
    s = sums.setdefault(k, [0, 0, 0])
    s[0] += 1
    s[1] += f["bytes_out"]
    s[2] += f["bytes_in"]
check("destinations sum the flows per server address, port and transport",
      {(d["ip"], d["port"], d["proto"]): [d["flows"], d["bytes_out"], d["bytes_in"]] for d in dests} == sums)
check("destinations are sorted by bytes sent",
      [d["bytes_out"] for d in dests] == sorted((d["bytes_out"] for d in dests), reverse=True))

r, _ = audit_json("--app-map", APP_MAP)
check("without a policy the same capture exits 0", r.returncode == 0, (r.returncode, r.stderr))

with tempfile.TemporaryDirectory() as tmp:
    target = next(f for f in flows if f["name"])
    hosts = os.path.join(tmp, "mine.hosts")
    open(hosts, "w").write(f"# my list\n0.0.0.0 {target['name']}\n")
    r, tagged = audit_json("--tag-list", f"mine={hosts}")
    check("--tag-list tags the flows named in a hosts file",
          all(("mine" in f["tags"]) == (f["name"] == target["name"]) for f in tagged["flows"]),
          [(f["name"], f["tags"]) for f in tagged["flows"]])

    bad = os.path.join(tmp, "bad.toml")
    open(bad, "w").write("[deny]\ncountries = \"CN\"\n")
    r = run("audit", "-q", CAPTURE, "--policy", bad)
    check("a policy with a mistake exits 2 naming its file and line", r.returncode == 2 and "bad.toml:2" in r.stderr,
          (r.returncode, r.stderr))
    r = run("audit", "-q", CAPTURE, "--policy", POLICY, "--flows-only")
    check("--policy with --flows-only is a usage error (1)", r.returncode == 1, r.returncode)
    r = run("audit", "-q", CAPTURE, "--entities", os.path.join(tmp, "none.toml"))
    check("a missing --entities file exits 2", r.returncode == 2 and "none.toml" in r.stderr, (r.returncode, r.stderr))

    r = run("audit", "-q", CAPTURE, "--policy", POLICY, "--app-map", APP_MAP, "--ndjson", "-")
    types = [json.loads(line)["type"] for line in r.stdout.splitlines()]
    check("NDJSON ends with destination lines, then finding lines",
          types.count("destination") == len(dests) and types.count("finding") == len(doc["findings"])
          and types[-1] == "finding", types[-5:])

# Block lists from the real report, and from the catalog itself.
with tempfile.TemporaryDirectory() as tmp:
    report_path = os.path.join(tmp, "report.json")
    open(report_path, "w").write(json.dumps(doc))
    r = run("blocklist", report_path, "--jurisdiction", "CN", "--format", "domains")
    want = {n.lower() for d in dests if "CN" in d["jurisdictions"] for n in d["names"]}
    check("blocklist --jurisdiction CN lists the names of the destinations the law of CN reaches",
          r.returncode == 0 and set(r.stdout.split()) - {"#"} >= want and want
          and {line for line in r.stdout.splitlines() if not line.startswith("#")} == want, (r.stdout, want))
    r = run("blocklist", "--catalog", "--owner", "ByteDance", "--format", "domains")
    want = {d for name, e in entities.items() if chain(name)[-1] == "ByteDance" for d in e.get("domains", [])}
    check("blocklist --catalog --owner ByteDance lists every domain the catalog gives ByteDance and its children",
          r.returncode == 0 and {line for line in r.stdout.splitlines() if not line.startswith("#")} == want,
          (r.stdout, want))
    conf = os.path.join(tmp, "all.conf")
    r = run("blocklist", "--catalog", "--format", "dnsmasq", "-o", conf)
    test = subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True, text=True)
    check("dnsmasq accepts a block list of the whole catalog", r.returncode == 0 and test.returncode == 0,
          (r.stderr, test.stderr))

r = run("audit", "-q", CAPTURE, "--policy", POLICY, "--app-map", APP_MAP, "--color", "never")
lines = r.stdout.splitlines()
check("the summary fits 100 columns", all(len(line) <= 100 for line in lines), max(lines, key=len))
check("the summary shows owners and the breach", any("ByteDance" in line for line in lines)
      and any("breached" in line for line in lines) and "\x1b[" not in r.stdout, r.stdout)
r = run("audit", "-q", CAPTURE, "--policy", POLICY, "--color", "always")
check("--color always colours it", "\x1b[" in r.stdout)

# The App Privacy Report, line by line.
records, damaged, offset = [], [], 0
with open(PRIVACY_REPORT, "rb") as fh:
    for raw in fh:
        try:
            rec = json.loads(raw)
        except ValueError:
            rec = None
        if rec is None or (rec.get("type") == "networkActivity" and not (rec.get("bundleID") and rec.get("domain"))):
            damaged.append(offset)
        elif rec.get("type") == "networkActivity":
            records.append(rec)
        offset += len(raw)
r = run("audit", "-q", PRIVACY_REPORT, "--json", "-", "--policy", POLICY)
apr = json.loads(r.stdout)
check("an App Privacy Report is read as an input of its own", apr["inputs"][0]["format"] == "app-privacy-report"
      and apr["inputs"][0]["records"] == len(records), apr["inputs"])
check("each damaged line is a warning naming its byte offset",
      sorted(w["offset"] for w in apr["inputs"][0]["warnings"]) == damaged and str(damaged[0]) in r.stderr,
      (apr["inputs"][0]["warnings"], damaged))
got = sorted((f["app"]["name"], f["name"], f["hits"], f["name_source"]) for f in apr["flows"])
want = sorted((x["bundleID"], x["domain"], x["hits"], "report") for x in records)
check("one flow per networkActivity record: app, domain, hits", got == want, (got, want))
check("its flows' owners follow the catalog",
      all((f["owner"], f["front"]) == expected_owner(f) for f in apr["flows"]),
      [(f["name"], f["owner"], expected_owner(f)) for f in apr["flows"]])
check("its destinations are names without addresses, with the records' hits",
      all(d["ip"] is None and d["hits"] == sum(x["hits"] for x in records if x["domain"] in d["names"])
          for d in apr["destinations"]), apr["destinations"])
want_findings = set()
for f in apr["flows"]:
    want_findings |= {(b[0], b[1], f["name"]) for b in expected_breaches(dict(f, server=":0"), policy)}
got_findings = {(x["rule"], x["value"], x["name"]) for x in apr["findings"]}
check("its findings are the policy's breaches, and it exits 4", r.returncode == 4 and got_findings == want_findings,
      (r.returncode, got_findings ^ want_findings))
r = run("audit", "-q", PRIVACY_REPORT, CAPTURE)
check("a report mixed with captures is a usage error (1)", r.returncode == 1, r.returncode)

print(f"{sum(results)}/{len(results)} checks passed")
sys.exit(0 if all(results) else 1)
