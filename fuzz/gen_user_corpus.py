#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_privacy_report and fuzz_user_files (fuzz/corpus/...): the
project's own sample App Privacy Report, demo policy and catalog entries, and small variants
that reach each reader's error paths. Run from anywhere: python3 fuzz/gen_user_corpus.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data if isinstance(data, bytes) else data.encode())


def read(*parts):
    with open(os.path.join(ROOT, *parts), "rb") as fh:
        return fh.read()


sample = read("tests", "privacy_report", "App_Privacy_Report_sample.ndjson")
write("privacy_report", "sample", sample)
write("privacy_report", "one_record", sample.splitlines()[1] + b"\n")
write("privacy_report", "times", b'{"type":"networkActivity","bundleID":"a","domain":"b","timeStamp":"2026-02-29T00:00:00+14:00"}\n'
      b'{"type":"networkActivity","bundleID":"a","domain":"b","firstTimeStamp":"1969-12-31T23:59:60.999999999Z"}\n'
      b'{"type":"networkActivity","bundleID":"a","domain":"b","hits":-1,"timeStamp":"x"}\n')
write("privacy_report", "nested", b'{"type":"networkActivity","bundleID":{"a":[1,2,{"b":null}]},"domain":"b"}\n[]\n"s"\n')

write("user_files", "policy", read("demo", "policy.toml"))
write("user_files", "allow_policy", '[allow]\ncountries = ["DE"]\nowners = ["X"]\n[except]\ndomains = ["a.example"]\n')
write("user_files", "catalog", read("data", "entities", "bytedance.toml"))
write("user_files", "catalog_cycle", '[[entity]]\nname = "A"\njurisdiction = "CN"\nparent = "B"\ndomains = ["a.example"]\n'
      '[[entity]]\nname = "B"\njurisdiction = "CN"\nparent = "A"\nasns = [1, 4294967295]\n')
write("user_files", "app_map", "# devices\n10.0.0.0/8 office\n10.1.2.3 alice\n2001:db8::/32 lab\n")
write("user_files", "tag_list", "! adblock\n||ads.example^$third-party\n0.0.0.0 track.example\nplain.example\n"
      "@@||good.example^\nexample.com##.banner\n")
