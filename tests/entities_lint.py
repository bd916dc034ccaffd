#!/usr/bin/env python3
"""Lint of the entity catalog (data/entities/*.toml, format in docs/entities.md).

Every file must parse; every [[entity]] must have its required keys and only known keys; country
codes are two upper-case letters; parents exist and form no cycle; names, domains and ASNs are
unique: a domain or an ASN belongs to one entity only, as its own or as a front, and no domain
lies under another entity's domain; domains are lower-case names with a dot; every entity has a
source, and every ASN is backed by a source line "IPFire location database: AS<n> <as name>".

    entities_lint.py [DIR] [--location]

DIR defaults to the catalog beside this script. --location also asks the `location` tool (libloc)
whether each ASN exists and whether its AS name is the one the source line quotes. Before the
catalog, the lint runs on small broken catalogs of its own and fails if it misses a fault there.
"""
import os
import re
import subprocess
import sys
import tempfile
import tomllib

KEYS = {"name", "parent", "jurisdiction", "headquarters", "categories", "domains", "front_domains",
        "asns", "front_asns", "sources"}
REQUIRED = ("name", "jurisdiction", "categories", "sources")
COUNTRY = re.compile(r"[A-Z]{2}\Z")
CATEGORY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*\Z")
LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")
IPFIRE = re.compile(r"IPFire location database: AS(\d+) (.+)\Z")
ASN_MAX = 2**32 - 1


def is_domain(d):
    return isinstance(d, str) and "." in d and all(LABEL.match(label) for label in d.split("."))


def is_asn(a):
    return isinstance(a, int) and not isinstance(a, bool) and 0 < a <= ASN_MAX


def load(directory):
    """Returns ([(file, index, entity table)], [problem]) for every *.toml in directory."""
    entities, problems = [], []
    files = sorted(f for f in os.listdir(directory) if f.endswith(".toml"))
    if not files:
        problems.append(f"{directory}: no *.toml file")
    for f in files:
        path = os.path.join(directory, f)
        try:
            with open(path, "rb") as fh:
                doc = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as e:
            problems.append(f"{f}: {e}")
            continue
        extra = set(doc) - {"entity"}
        if extra:
            problems.append(f"{f}: top-level keys other than [[entity]]: {sorted(extra)}")
        tables = doc.get("entity")
        if not isinstance(tables, list) or not tables:
            problems.append(f"{f}: no [[entity]] table")
            continue
        entities += [(f, i, t) for i, t in enumerate(tables)]
    return entities, problems


def check_entity(where, e, problems):
    for k in REQUIRED:
        if k not in e:
            problems.append(f"{where}: missing key '{k}'")
    for k in sorted(set(e) - KEYS):
        problems.append(f"{where}: unknown key '{k}'")
    if not isinstance(e.get("name", ""), str) or not e.get("name", "x").strip():
        problems.append(f"{where}: 'name' must be a non-empty string")
    for k in ("jurisdiction", "headquarters"):
        if k in e and not (isinstance(e[k], str) and COUNTRY.match(e[k])):
            problems.append(f"{where}: '{k}' = {e[k]!r} is not an ISO 3166-1 alpha-2 code")
    if "headquarters" in e and e.get("headquarters") == e.get("jurisdiction"):
        problems.append(f"{where}: 'headquarters' repeats 'jurisdiction'; omit it")
    lists = {"categories": lambda c: isinstance(c, str) and CATEGORY.match(c),
             "domains": is_domain, "front_domains": is_domain,
             "asns": is_asn, "front_asns": is_asn,
             "sources": lambda s: isinstance(s, str) and s.strip()}
    for k, valid in lists.items():
        if k not in e:
            continue
        v = e[k]
        if not isinstance(v, list):
            problems.append(f"{where}: '{k}' must be an array")
            continue
        for item in v:
            if not valid(item):
                problems.append(f"{where}: '{k}' has an invalid entry {item!r}")
        if len(set(map(repr, v))) != len(v):
            problems.append(f"{where}: '{k}' lists an entry twice")
    for k in ("categories", "sources"):
        if isinstance(e.get(k), list) and not e[k]:
            problems.append(f"{where}: '{k}' is empty")
    if not any(e.get(k) for k in ("domains", "front_domains", "asns", "front_asns")):
        problems.append(f"{where}: no domain, front domain, ASN or front ASN: nothing can match it")
    quoted = {}
    for s in e.get("sources", []) if isinstance(e.get("sources"), list) else []:
        m = IPFIRE.match(s) if isinstance(s, str) else None
        if m:
            quoted[int(m.group(1))] = m.group(2)
    for k in ("asns", "front_asns"):
        for a in e.get(k, []) if isinstance(e.get(k), list) else []:
            if is_asn(a) and a not in quoted:
                problems.append(f"{where}: AS{a} has no source line 'IPFire location database: AS{a} <as name>'")
    return quoted


def lint(directory):
    """Returns (entity count, problems, {asn: quoted AS name})."""
    entities, problems = load(directory)
    names, quoted_all = {}, {}
    for f, i, e in entities:
        where = f"{f}: entity {i + 1} ({e.get('name', '?')})" if isinstance(e, dict) else f"{f}: entity {i + 1}"
        if not isinstance(e, dict):
            problems.append(f"{where}: not a table")
            continue
        quoted_all.update(check_entity(where, e, problems))
        n = e.get("name")
        if isinstance(n, str):
            if n in names:
                problems.append(f"{where}: name already used in {names[n]}")
            names.setdefault(n, f)

    by_name = {e["name"]: e for _, _, e in entities if isinstance(e, dict) and isinstance(e.get("name"), str)}
    for n, e in by_name.items():
        p = e.get("parent")
        if p is None:
            continue
        if p not in by_name:
            problems.append(f"{names[n]}: {n}: parent '{p}' is not in the catalog")
            continue
        seen = {n}
        while p is not None and p in by_name:
            if p in seen:
                problems.append(f"{names[n]}: {n}: parents form a cycle through '{p}'")
                break
            seen.add(p)
            p = by_name[p].get("parent")

    owner = {}  # domain or ASN -> (entity name, which list)
    for n, e in by_name.items():
        for k in ("domains", "front_domains", "asns", "front_asns"):
            for item in e.get(k, []) if isinstance(e.get(k), list) else []:
                key = ("AS" + str(item)) if k.endswith("asns") else item
                if not isinstance(key, str):
                    continue
                if key in owner and owner[key][0] != n:
                    problems.append(f"{names[n]}: {n}: {key} in '{k}' is already in "
                                    f"'{owner[key][1]}' of {owner[key][0]}")
                elif key in owner:
                    problems.append(f"{names[n]}: {n}: {key} is both in '{owner[key][1]}' and '{k}'")
                owner.setdefault(key, (n, k))
    domains = {d: o for d, o in owner.items() if not d.startswith("AS")}
    for d, (n, k) in domains.items():
        parts = d.split(".")
        for cut in range(1, len(parts) - 1):
            parent = ".".join(parts[cut:])
            if parent in domains and domains[parent][0] != n:
                problems.append(f"{names[n]}: {n}: {d} lies under {parent} of {domains[parent][0]}")
    return len(entities), problems, quoted_all


def check_location(quoted):
    """Asks libloc's `location get-as` for every quoted ASN; returns problems."""
    asns = sorted(quoted)
    out = subprocess.run(["location", "get-as", *map(str, asns)], capture_output=True, text=True,
                         check=False).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"AS(\d+) belongs to (.+)\Z", line.strip())
        if m:
            found[int(m.group(1))] = m.group(2)
    problems = []
    for a in asns:
        if a not in found:
            problems.append(f"AS{a}: not in the location database")
        elif found[a] != quoted[a]:
            problems.append(f"AS{a}: the database names it '{found[a]}', the source line '{quoted[a]}'")
    return problems


# Broken catalogs, each with the fault the lint must report (a fragment of the message).
SELF_TESTS = {
    "missing key": ('[[entity]]\nname = "A"\ncategories = ["x"]\nsources = ["s"]\ndomains = ["a.com"]\n',
                    "missing key 'jurisdiction'"),
    "bad country": ('[[entity]]\nname = "A"\njurisdiction = "cn"\ncategories = ["x"]\nsources = ["s"]\n'
                    'domains = ["a.com"]\n', "is not an ISO 3166-1"),
    "no source": ('[[entity]]\nname = "A"\njurisdiction = "CN"\ncategories = ["x"]\nsources = []\n'
                  'domains = ["a.com"]\n', "'sources' is empty"),
    "upper-case domain": ('[[entity]]\nname = "A"\njurisdiction = "CN"\ncategories = ["x"]\nsources = ["s"]\n'
                          'domains = ["A.com"]\n', "invalid entry 'A.com'"),
    "domain without dot": ('[[entity]]\nname = "A"\njurisdiction = "CN"\ncategories = ["x"]\nsources = ["s"]\n'
                           'domains = ["localhost"]\n', "invalid entry 'localhost'"),
    "missing parent": ('[[entity]]\nname = "A"\nparent = "B"\njurisdiction = "CN"\ncategories = ["x"]\n'
                       'sources = ["s"]\ndomains = ["a.com"]\n', "parent 'B' is not in the catalog"),
    "domain twice": ('[[entity]]\nname = "A"\njurisdiction = "CN"\ncategories = ["x"]\nsources = ["s"]\n'
                     'domains = ["a.com"]\n[[entity]]\nname = "B"\njurisdiction = "CN"\ncategories = ["x"]\n'
                     'sources = ["s"]\ndomains = ["a.com"]\n', "a.com in 'domains' is already in"),
    "nested domain": ('[[entity]]\nname = "A"\njurisdiction = "CN"\ncategories = ["x"]\nsources = ["s"]\n'
                      'domains = ["a.com"]\n[[entity]]\nname = "B"\njurisdiction = "CN"\ncategories = ["x"]\n'
                      'sources = ["s"]\ndomains = ["x.a.com"]\n', "x.a.com lies under a.com"),
    "ASN twice": ('[[entity]]\nname = "A"\njurisdiction = "CN"\ncategories = ["x"]\n'
                  'sources = ["IPFire location database: AS1 X"]\nasns = [1]\n[[entity]]\nname = "B"\n'
                  'jurisdiction = "CN"\ncategories = ["x"]\nsources = ["IPFire location database: AS1 X"]\n'
                  'front_asns = [1]\n', "AS1 in 'front_asns' is already in 'asns' of A"),
    "ASN without source line": ('[[entity]]\nname = "A"\njurisdiction = "CN"\ncategories = ["x"]\n'
                                'sources = ["s"]\nasns = [7]\n', "AS7 has no source line"),
    "unknown key": ('[[entity]]\nname = "A"\njurisdiction = "CN"\ncategories = ["x"]\nsources = ["s"]\n'
                    'domain = ["a.com"]\n', "unknown key 'domain'"),
    "parent cycle": ('[[entity]]\nname = "A"\nparent = "B"\njurisdiction = "CN"\ncategories = ["x"]\n'
                     'sources = ["s"]\ndomains = ["a.com"]\n[[entity]]\nname = "B"\nparent = "A"\n'
                     'jurisdiction = "CN"\ncategories = ["x"]\nsources = ["s"]\ndomains = ["b.com"]\n',
                     "parents form a cycle"),
    "bad TOML": ('[[entity]\nname = "A"\n', "entity.toml:"),
}


def self_test():
    failures = []
    for title, (text, expected) in SELF_TESTS.items():
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "entity.toml"), "w", encoding="utf-8") as fh:
                fh.write(text)
            _, problems, _ = lint(d)
        if not any(expected in p for p in problems):
            failures.append(f"self-test '{title}': expected a problem with '{expected}', got {problems}")
    return failures


def main():
    args = [a for a in sys.argv[1:] if a != "--location"]
    directory = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                                  "entities")
    failures = self_test()
    count, problems, quoted = lint(directory)
    if "--location" in sys.argv[1:]:
        problems += check_location(quoted)
    for p in failures + problems:
        print("FAIL " + p)
    print(f"entities lint: {count} entities, {len(quoted)} ASNs, {len(SELF_TESTS)} self-tests; "
          f"{len(problems)} problems, {len(failures)} self-test failures")
    return 1 if failures or problems else 0


if __name__ == "__main__":
    sys.exit(main())
