#!/usr/bin/env python3
"""`tattle blocklist` end to end: the real binary on a small hand-written report (report.json,
with hostile names among its destinations). Every format is generated and handed to the tool
that would load it (dnsmasq --test, unbound-checkconf, named-checkzone, nft -c); the JSON formats
are parsed and their structure checked; every line of every format must match its grammar, so
nothing from the report can add lines or syntax. A checker that is not installed is skipped,
visibly. Expected names and addresses below were worked out by hand from report.json."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TATTLE = sys.argv[1]
REPORT = sys.argv[2]
results = []

BYTEDANCE_NAMES = ["a_b.byteoversea.com", "api16-normal-c-useast1a.tiktokv.com", "log.byteoversea.com",
                   "www.tiktok.com"]
GOOGLE_NAMES = ["googleads.g.doubleclick.net", "www.googletagmanager.com"]
ALL_NAMES = sorted(BYTEDANCE_NAMES + GOOGLE_NAMES + ["_googlecast._tcp.local"])
BYTEDANCE_V4 = ["23.45.67.89", "161.117.70.12", "161.117.70.13"]
BYTEDANCE_V6 = ["2a02:26f0:10c::17"]
ALL_V4 = ["23.45.67.89", "142.250.185.66", "161.117.70.12", "161.117.70.13"]
ALL_V6 = ["2a00:1450:4001:82a::2002", "2a02:26f0:10c::17"]
# Destinations whose every name was left out, or that had none: PCAPdroid gets them as IP rules.
UNNAMED = ["161.117.70.13", "2a02:26f0:10c::17"]

NAME = r"[a-z0-9_][a-z0-9_.-]*"
GRAMMAR = {
    "hosts": (r"# ", [rf"0\.0\.0\.0 {NAME}"]),
    "domains": (r"# ", [NAME]),
    "dnsmasq": (r"# ", [rf"address=/{NAME}/"]),
    "unbound": (r"# ", [r"server:", rf'\tlocal-zone: "{NAME}\." always_nxdomain']),
    "adblock": (r"! ", [rf"\|\|{NAME}\^"]),
    "rpz": (r"; ", [r"\$TTL 300", r"@ IN SOA localhost\. hostmaster\.localhost\. \d+ 3600 600 86400 300",
                    r"@ IN NS localhost\.", rf"(\*\.)?{NAME} CNAME \."]),
    "nftables": (r"# ", [r"(table|delete table) inet tattle-blocklist", r"table inet tattle-blocklist \{",
                         r"\tset blocked_v[46] \{", r"\t\ttype ipv[46]_addr", r"\t\telements = \{",
                         r"\t\t\t[0-9a-f:.]+,?", r"\t\t\}", r"\t\}", r"\tchain (output|forward) \{",
                         r"\t\ttype filter hook (output|forward) priority filter; policy accept;",
                         r"\t\tip6? daddr @blocked_v[46] counter drop", r"\}"]),
}


def run(*args, stdin=None):
    return subprocess.run([TATTLE, "blocklist", *args], capture_output=True, text=True, input=stdin, timeout=120)


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def skip(name, why):
    print(f"SKIP {name}: {why}")


def body(text, mark):
    """The lines that are not comments."""
    return [line for line in text.splitlines() if not line.startswith(mark)]


def grammar_ok(fmt, text):
    mark, patterns = GRAMMAR[fmt]
    bad = [line for line in text.splitlines()
           if not (line.startswith(mark) and "\n" not in line)
           and not any(re.fullmatch(p, line) for p in patterns)]
    return not bad and text.endswith("\n"), bad


def nft_addresses(text):
    return re.findall(r"^\t\t\t([0-9a-f:.]+),?$", text, re.M)


def external(name, argv):
    """Runs a checker; None if it is not installed (or, for nft, may not run here)."""
    if shutil.which(argv[0]) is None:
        skip(name, f"{argv[0]} is not installed")
        return None
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if argv[0] == "nft" and r.returncode != 0 and "Operation not permitted" in r.stderr:
        skip(name, "nft -c needs CAP_NET_ADMIN here")
        return None
    return r


with tempfile.TemporaryDirectory() as tmp:
    # Selection.
    r = run(REPORT, "--owner", "ByteDance")
    check("--owner matches owner or topmost parent, in any case", r.returncode == 0
          and body(r.stdout, "#") == BYTEDANCE_NAMES, (r.returncode, r.stdout, r.stderr))
    check("the header names the tool, the report and the selection",
          r.stdout.splitlines()[:2] == [f"# Made by tattle {r.stdout.split()[4]} from {REPORT}",
                                        "# Selected: --owner ByteDance"], r.stdout)
    check("hostile and public-suffix names are left out and counted on stderr",
          "left out 9 names that are not host names" in r.stderr
          and "left out 3 names that are public suffixes" in r.stderr and "evil" not in r.stdout, r.stderr)
    same = run(REPORT, "--owner", "bytedance")
    check("--owner is case-insensitive", body(same.stdout, "#") == BYTEDANCE_NAMES, same.stdout)

    r = run(REPORT, "--owner", "ByteDance", "--registrable")
    check("--registrable reduces and deduplicates",
          body(r.stdout, "#") == ["byteoversea.com", "tiktok.com", "tiktokv.com"], r.stdout)

    with open(REPORT, encoding="utf-8") as fh:
        text = fh.read()
    r = run("-", "--owner", "ByteDance", stdin=text)
    check("the report can come on standard input", r.returncode == 0 and body(r.stdout, "#") == BYTEDANCE_NAMES
          and "# Made by tattle" in r.stdout and " from -\n" in r.stdout, (r.returncode, r.stderr))

    r = run(REPORT, "--jurisdiction", "cn", "--country", "SG")
    check("filter kinds combine (jurisdiction CN and hosted in SG)",
          body(r.stdout, "#") == ["a_b.byteoversea.com", "log.byteoversea.com", "www.tiktok.com"], r.stdout)
    r = run(REPORT, "--tag", "advertising", "--format", "hosts")
    check("--tag", body(r.stdout, "#") == [f"0.0.0.0 {n}" for n in GOOGLE_NAMES], r.stdout)
    r = run(REPORT, "--tag", "social", "--tag", "advertising")
    check("a repeated filter matches any of its values",
          body(r.stdout, "#") == ["api16-normal-c-useast1a.tiktokv.com"] + GOOGLE_NAMES, r.stdout)
    r = run(REPORT, "--asn", "AS20940", "--format", "nftables")
    check("--asn, nftables addresses", nft_addresses(r.stdout) == ["23.45.67.89", "2a02:26f0:10c::17"], r.stdout)
    check("addresses a CDN may share are pointed out", 'belong to a CDN or cloud ("front")' in r.stderr, r.stderr)
    r = run(REPORT, "--owner", "Nobody")
    check("no match: an empty list, exit 0", r.returncode == 0 and body(r.stdout, "#") == []
          and "0 of 8 destinations selected" in r.stderr, (r.returncode, r.stderr))

    # Every format from everything, and again from ByteDance's destinations only.
    for selection in ([], ["--owner", "ByteDance"]):
        label = " ".join(selection) or "no filter"
        for fmt, (mark, _) in GRAMMAR.items():
            path = os.path.join(tmp, f"list.{fmt}")
            r = run(REPORT, *selection, "--format", fmt, "-o", path)
            with open(path, encoding="utf-8") as fh:
                out = fh.read()
            ok, bad = grammar_ok(fmt, out)
            check(f"{fmt} ({label}): written with -o, every line in the format's grammar",
                  r.returncode == 0 and r.stdout == "" and ok, (r.returncode, r.stderr, bad))
            check(f"{fmt} ({label}): nothing of the hostile names", "evil" not in out and " name." not in out)
            if fmt == "dnsmasq":
                c = external("dnsmasq --test", ["dnsmasq", "--test", f"--conf-file={path}"])
                if c:
                    check(f"dnsmasq --test accepts it ({label})", c.returncode == 0, c.stderr)
            elif fmt == "unbound":
                c = external("unbound-checkconf", ["unbound-checkconf", path])
                if c:
                    check(f"unbound-checkconf accepts it ({label})", c.returncode == 0, c.stdout + c.stderr)
                    # As Debian's unbound.conf loads /etc/unbound/unbound.conf.d/*.conf.
                    main = os.path.join(tmp, "unbound.conf")
                    with open(main, "w", encoding="utf-8") as fh:
                        fh.write(f'server:\n\tverbosity: 1\ninclude-toplevel: "{path}"\n')
                    c = external("unbound-checkconf", ["unbound-checkconf", main])
                    check(f"unbound-checkconf accepts it as an include ({label})", c.returncode == 0,
                          c.stdout + c.stderr)
            elif fmt == "rpz":
                c = external("named-checkzone", ["named-checkzone", "rpz.tattle", path])
                if c:
                    check(f"named-checkzone accepts the zone ({label})", c.returncode == 0, c.stdout + c.stderr)
            elif fmt == "nftables":
                c = external("nft -c", ["nft", "-c", "-f", path])
                if c:
                    check(f"nft -c accepts the script ({label})", c.returncode == 0, c.stderr)
        # The names in the name formats, the addresses in nftables.
        want_names = BYTEDANCE_NAMES if selection else ALL_NAMES
        with open(os.path.join(tmp, "list.dnsmasq"), encoding="utf-8") as fh:
            got = [line[len("address=/"):-1] for line in body(fh.read(), "#")]
        check(f"dnsmasq ({label}) blocks exactly the expected names", got == want_names, got)
        with open(os.path.join(tmp, "list.rpz"), encoding="utf-8") as fh:
            triggers = [line.split()[0] for line in fh if line.endswith(" CNAME .\n")]
        check(f"rpz ({label}) has NAME and *.NAME for each name",
              triggers == [t for n in want_names for t in (n, "*." + n)], triggers)
        with open(os.path.join(tmp, "list.nftables"), encoding="utf-8") as fh:
            got = nft_addresses(fh.read())
        want = BYTEDANCE_V4 + BYTEDANCE_V6 if selection else ALL_V4 + ALL_V6
        check(f"nftables ({label}) holds the public addresses, local ones left out", got == want, got)

    # PCAPdroid: MatchList JSON.
    r = run(REPORT, "--format", "pcapdroid")
    try:
        doc = json.loads(r.stdout)
    except json.JSONDecodeError as e:
        doc = {"error": str(e)}
    rules = doc.get("rules") if isinstance(doc, dict) else None
    check("pcapdroid: {\"rules\": [...]} of {type, value}", isinstance(rules, list) and set(doc) == {"rules"}
          and all(isinstance(x, dict) and set(x) == {"type", "value"} and isinstance(x["value"], str) for x in rules),
          r.stdout)
    if isinstance(rules, list):
        hosts = sorted({n[4:] if n.startswith("www.") else n for n in ALL_NAMES})
        check("pcapdroid: a HOST rule per name (www. dropped as PCAPdroid does), an IP rule per unnamed address",
              [(x.get("type"), x.get("value")) for x in rules]
              == [("HOST", h) for h in hosts] + [("IP", a) for a in UNNAMED], rules)

    # OpenSnitch: a rule and a list, into a directory.
    osn = os.path.join(tmp, "opensnitch")
    r = run(REPORT, "--owner", "ByteDance", "--format", "opensnitch", "-o", osn, "--name", "no-bytedance")
    check("opensnitch writes <name>.json and <name>.txt into -o DIR",
          r.returncode == 0 and sorted(os.listdir(osn)) == ["no-bytedance.json", "no-bytedance.txt"],
          (r.returncode, r.stderr))
    if r.returncode == 0:
        with open(os.path.join(osn, "no-bytedance.json"), encoding="utf-8") as fh:
            rule = json.load(fh)
        op = rule.get("operator", {})
        check("opensnitch rule: deny, always, operator lists / lists.domains on the lists directory",
              rule.get("name") == "no-bytedance" and rule.get("action") == "deny" and rule.get("enabled") is True
              and rule.get("duration") == "always" and op.get("type") == "lists"
              and op.get("operand") == "lists.domains" and op.get("data") == "/etc/opensnitchd/blocklists/no-bytedance"
              and "Selected: --owner ByteDance" in rule.get("description", ""), rule)
        with open(os.path.join(osn, "no-bytedance.txt"), encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        # OpenSnitch's loader (daemon/rule/operator_lists.go) keeps the lines that start "0.0.0.0 ".
        check("opensnitch list: hosts lines OpenSnitch's loader reads",
              [line[8:] for line in lines if line.startswith("0.0.0.0 ")] == BYTEDANCE_NAMES
              and all(line.startswith(("# ", "0.0.0.0 ")) for line in lines), lines)
    r = run(REPORT, "--format", "opensnitch", "-o", osn, "--opensnitch-lists", "/srv/lists")
    with open(os.path.join(osn, "tattle-blocklist.json"), encoding="utf-8") as fh:
        check("--opensnitch-lists sets the directory the rule reads", json.load(fh)["operator"]["data"] == "/srv/lists")

    # A report path that holds a newline and a '#' stays inside its comment line.
    weird = os.path.join(tmp, "we\nird #1.json")
    shutil.copyfile(REPORT, weird)
    r = run(weird, "--format", "dnsmasq", "--owner", "x\naddress=/#/")
    ok, bad = grammar_ok("dnsmasq", r.stdout)
    check("text from the command line is escaped in the header", r.returncode == 0 and ok
          and "we\\x0aird #1.json" in r.stdout and "x\\x0aaddress=/#/" in r.stdout, (r.stdout, bad))

    # Errors: exit 2 for the report, 1 for the usage, naming the file.
    missing = os.path.join(tmp, "missing.json")
    r = run(missing)
    check("a missing report: exit 2, named", r.returncode == 2 and "missing.json" in r.stderr, (r.returncode, r.stderr))
    other = os.path.join(tmp, "other.json")
    with open(other, "w", encoding="utf-8") as fh:
        json.dump({"rules": []}, fh)
    r = run(other)
    check("JSON that is not a tattle report: exit 2, named",
          r.returncode == 2 and "other.json: not a tattle report" in r.stderr, (r.returncode, r.stderr))
    old = os.path.join(tmp, "old.json")
    with open(old, "w", encoding="utf-8") as fh:
        json.dump({"schema": "tattle.audit/1", "flows": [], "dns": []}, fh)
    r = run(old)
    check("a report without destinations: exit 2, said so",
          r.returncode == 2 and 'old.json: the report has no "destinations"' in r.stderr, (r.returncode, r.stderr))
    for cut in (len(text) // 3, len(text) - 3):
        damaged = os.path.join(tmp, f"cut{cut}.json")
        with open(damaged, "w", encoding="utf-8") as fh:
            fh.write(text[:cut])
        r = run(damaged)
        check(f"a report cut at {cut}: exit 2, damaged, named",
              r.returncode == 2 and f"cut{cut}.json: damaged JSON" in r.stderr and r.stdout == "",
              (r.returncode, r.stderr))
    retyped = os.path.join(tmp, "retyped.json")
    with open(retyped, "w", encoding="utf-8") as fh:
        fh.write(text.replace('"names": ["googleads.g.doubleclick.net"]', '"names": "googleads.g.doubleclick.net"'))
    r = run(retyped)
    check("a field of the wrong type: exit 2, which one and where",
          r.returncode == 2 and re.search(r"retyped\.json: destinations\[4\]\.names near byte \d+ is not an array",
                                          r.stderr), (r.returncode, r.stderr))
    for args, what in ((["--country", "China"], "a country that is not two letters"),
                       (["--format", "bind"], "an unknown format"),
                       (["--format", "opensnitch"], "opensnitch without -o DIR"),
                       (["--name", "a b"], "a list name that is not an identifier"),
                       (["--asn", "ASx"], "an ASN that is not a number")):
        r = run(REPORT, *args)
        check(f"{what}: usage error (1)", r.returncode == 1 and r.stdout == "", (r.returncode, r.stderr))
    r = run(REPORT, "-o", os.path.join(tmp, "no-such-dir", "x.conf"))
    check("an output that cannot be written: exit 2", r.returncode == 2 and "cannot write" in r.stderr,
          (r.returncode, r.stderr))

print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if results and all(results) else 1)
