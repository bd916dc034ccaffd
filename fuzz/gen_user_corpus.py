#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_privacy_report, fuzz_keystrokes and fuzz_user_files
(fuzz/corpus/...): the project's own sample App Privacy Report, demo policy and catalog entries,
keystroke logs in each format, and small variants that reach each reader's error paths. Run from anywhere: python3 fuzz/gen_user_corpus.py
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

# Keystroke logs: the first byte picks the device filter (odd: /dev/input/event2 only).
getevent_labels = """add device 1: /dev/input/event3
  name:     "gpio_keys"
add device 2: /dev/input/event2
  name:     "touchscreen"
[   51234.500000] /dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   0000002a
[   51234.500000] /dev/input/event2: EV_KEY       BTN_TOUCH            DOWN
[   51234.500000] /dev/input/event2: EV_SYN       SYN_REPORT           00000000
[   51234.580000] /dev/input/event2: EV_ABS       ABS_MT_TRACKING_ID   ffffffff
[   51234.580000] /dev/input/event2: EV_KEY       BTN_TOUCH            UP
[   51234.580000] /dev/input/event2: EV_SYN       SYN_REPORT           00000000
[   51235.000000] /dev/input/event3: EV_KEY       KEY_VOLUMEDOWN       DOWN
[   51235.100000] EV_KEY       KEY_A                DOWN
"""
getevent_numbers = """[   51234.500000] /dev/input/event2: 0003 0039 0000002a
[   51234.500000] /dev/input/event2: 0001 014a 00000001
[   51234.500000] /dev/input/event2: 0000 0000 00000000
[   51234.790000] /dev/input/event2: 0003 002f 00000001
[   51234.790000] /dev/input/event2: 0003 0039 0000002c
[   51235.000000] /dev/input/event3: 0001 0072 00000001
"""
write("keystrokes", "getevent_labels", "\x00" + getevent_labels)
write("keystrokes", "getevent_labels_device", "\x01" + getevent_labels)
write("keystrokes", "getevent_numbers", "\x01" + getevent_numbers)
write("keystrokes", "getevent_untimed", "\x00/dev/input/event2: 0001 014a 00000001\n")
write("keystrokes", "csv", "\x00key;Timestamp\nk;1764706529.5\nk;2025-12-02T20:15:30.250+01:00\nk;soon\n\"12\"\n")
write("keystrokes", "tattle", "\x00# tattle keys record: key-down times only\n# clock: realtime\ntime\n1764706529.123456\n")
write("keystrokes", "jsonl", "\x00{\"time\": 1764706529.25}\n{\"timestamp\": \"2025-12-02T20:15:30Z\"}\n"
      "{\"ts\": 17647065310000000000}\n{\"t\": [1]}\n[]\n")
