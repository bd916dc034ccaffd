#!/usr/bin/env python3
"""Typing schedules and keystroke logs for scripts/make-keystroke-traces.

A schedule is K keystrokes of made-up harmless words, seeded: when each key
goes down, relative to the first one. Intervals are drawn from log-normal
distributions like a person typing on a phone: ~190 ms (median) between the
letters of a word, a longer gap around the space, and a pause of 1-4 s between
phrases of 2-4 words. The same seed gives the same schedule and the same text.

The logs say only WHEN keys went down, never which: on a phone a soft keyboard
is a touchscreen, so getevent shows taps at random points of the keyboard area,
not at the keys typed.

  python3 typing_schedule.py SEED [KEYS]   prints the schedule (offset_s, key)

Every time here is an integer of microseconds, so that what the logs print and
what truth.json holds agree to the last digit. Python 3 standard library only.
"""

import datetime
import json
import math
import random
import sys

# Harmless everyday words of 2-9 letters.
WORDS = (
    "we are at the old park by the river and it is warm today so bring some "
    "water bread cheese apples and a blanket maybe also cards or a ball we can "
    "walk along the path to the bridge later when the sun goes down my sister "
    "said she might come with her dog he likes to swim but gets very muddy the "
    "train leaves at noon from platform four please check the timetable before "
    "you go the garden looks lovely after all that rain tomatoes are getting red "
    "and the beans climb the fence our neighbour gave us fresh eggs for breakfast "
    "tomorrow I will bake a lemon cake for the picnic do you want chocolate or "
    "vanilla the library opens late on thursday so we could meet there first "
    "then have coffee at the corner place with the green door their window seats "
    "are nice when it is quiet remember to water the plants on the balcony "
    "thanks again for the lovely evening dinner was great see you soon"
).split()
WORDS = tuple(sorted({w.lower() for w in WORDS if 2 <= len(w) <= 9}))

DEBOUNCE_MS = 350     # the debounced role's quiet time (typing_client.py)
BATCH_EVERY = 5       # the batched role's keystrokes per request

US = 1_000_000


def _lognormal_s(rng, median_s, sigma, lo_s, hi_s):
    return min(hi_s, max(lo_s, rng.lognormvariate(math.log(median_s), sigma)))


def make_schedule(seed, keys):
    """[(offset_us, key)] for `keys` keystrokes, the first at offset 0.
    A key is a letter or " "; the text typed after key i is the keys up to i."""
    rng = random.Random(f"tattle-keystrokes/{seed}/schedule")
    out = []
    t = 0.0
    gap_before_word = 0.0               # first key at 0
    words_left = rng.randint(2, 4)      # words in the current phrase
    while len(out) < keys:
        word = rng.choice(WORDS)
        for i, ch in enumerate(word):
            if len(out) >= keys:
                break
            if out:
                t += gap_before_word if i == 0 else _lognormal_s(rng, 0.19, 0.35, 0.07, 0.8)
            out.append((round(t * US), ch))
        if len(out) >= keys:
            break
        # The space after a word comes a little later than a letter would.
        t += _lognormal_s(rng, 0.25, 0.35, 0.09, 0.9)
        out.append((round(t * US), " "))
        words_left -= 1
        if words_left == 0:
            gap_before_word = rng.uniform(1.0, 4.0)
            words_left = rng.randint(2, 4)
        else:
            gap_before_word = _lognormal_s(rng, 0.8, 0.4, 0.2, 2.2)
    return out


# ---------------------------------------------------------------- rendering

def _sec_usec(t_us):
    return divmod(t_us, US)


def _epoch(t_us):
    s, u = _sec_usec(t_us)
    return f"{s}.{u:06d}"


def _iso(t_us):
    s, u = _sec_usec(t_us)
    d = datetime.datetime.fromtimestamp(s, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + f".{u:06d}Z"


def write_csv(path, times_us):
    with open(path, "w", newline="") as f:
        f.write("time\n")
        f.writelines(f"{_epoch(t)}\n" for t in times_us)


def write_iso_csv(path, times_us):
    with open(path, "w", newline="") as f:
        f.write("timestamp\n")
        f.writelines(f"{_iso(t)}\n" for t in times_us)


def write_jsonl(path, times_us):
    with open(path, "w", newline="") as f:
        f.writelines(f'{{"time": {_epoch(t)}}}\n' for t in times_us)


# getevent (AOSP system/core/toolbox/getevent.c): with no device named it
# prints "add device N: PATH" and "  name:     \"NAME\"" for each device it
# opens (N from 1, in directory order), then one line per input event:
# -t prefixes "[%8ld.%06ld] " (the event's CLOCK_MONOTONIC time), the device
# path and ": " follow, then -l prints type, code and value as
# "%-12.12s %-20.20s %-20.20s" (names) or "%08x            " for a value
# without a name, and without -l "%04x %04x %08x".
EV_SYN, EV_KEY, EV_ABS = 0x00, 0x01, 0x03
SYN_REPORT = 0x00
KEY_VOLUMEDOWN, KEY_VOLUMEUP = 0x72, 0x73
BTN_TOUCH = 0x14A
ABS_MT_TOUCH_MAJOR, ABS_MT_POSITION_X, ABS_MT_POSITION_Y = 0x30, 0x35, 0x36
ABS_MT_TRACKING_ID, ABS_MT_PRESSURE = 0x39, 0x3A

TYPE_LABELS = {EV_SYN: "EV_SYN", EV_KEY: "EV_KEY", EV_ABS: "EV_ABS"}
CODE_LABELS = {
    EV_SYN: {SYN_REPORT: "SYN_REPORT"},
    EV_KEY: {KEY_VOLUMEDOWN: "KEY_VOLUMEDOWN", KEY_VOLUMEUP: "KEY_VOLUMEUP", BTN_TOUCH: "BTN_TOUCH"},
    EV_ABS: {ABS_MT_TOUCH_MAJOR: "ABS_MT_TOUCH_MAJOR", ABS_MT_POSITION_X: "ABS_MT_POSITION_X",
             ABS_MT_POSITION_Y: "ABS_MT_POSITION_Y", ABS_MT_TRACKING_ID: "ABS_MT_TRACKING_ID",
             ABS_MT_PRESSURE: "ABS_MT_PRESSURE"},
}
KEY_VALUE_LABELS = {0: "UP", 1: "DOWN", 2: "REPEAT"}

# A made-up phone: a 1080 x 2400 touchscreen, volume keys, power key, fingerprint reader.
TOUCH_DEV = "/dev/input/event2"
BUTTONS_DEV = "/dev/input/event1"
DEVICES = (("/dev/input/event3", "uinput-fpc"), (TOUCH_DEV, "fts_ts"),
           (BUTTONS_DEV, "gpio-keys"), ("/dev/input/event0", "qpnp_pon"))
KEYBOARD_AREA = ((40, 1040), (1640, 2260))      # x and y range of the soft keyboard
SCAN_US = 8333                                  # the panel reports at 120 Hz


def touch_events(key_us, seed, extra_tag=""):
    """The input events of one tap per keystroke, plus volume-key presses on
    another device before the first and after the last keystroke: a list of
    (time_us, device, type, code, value), sorted by time."""
    rng = random.Random(f"tattle-keystrokes/{seed}/getevent{extra_tag}")
    ev = []
    tracking = rng.randrange(0x100, 0x4000)
    for i, down in enumerate(key_us):
        # Lift the finger 60-120 ms later, but before the next key goes down:
        # one finger at a time, so slot 0 throughout and no ABS_MT_SLOT events.
        nxt = key_us[i + 1] if i + 1 < len(key_us) else None
        hold = rng.randint(60_000, 120_000)
        if nxt is not None:
            hold = min(hold, max(30_000, (nxt - down) * 3 // 4))
        up = down + hold
        x = rng.randint(*KEYBOARD_AREA[0])
        y = rng.randint(*KEYBOARD_AREA[1])
        major = rng.randint(4, 9)
        pressure = rng.randint(30, 70)
        ev += [(down, TOUCH_DEV, EV_ABS, ABS_MT_TRACKING_ID, tracking),
               (down, TOUCH_DEV, EV_KEY, BTN_TOUCH, 1),
               (down, TOUCH_DEV, EV_ABS, ABS_MT_POSITION_X, x),
               (down, TOUCH_DEV, EV_ABS, ABS_MT_POSITION_Y, y),
               (down, TOUCH_DEV, EV_ABS, ABS_MT_TOUCH_MAJOR, major),
               (down, TOUCH_DEV, EV_ABS, ABS_MT_PRESSURE, pressure),
               (down, TOUCH_DEV, EV_SYN, SYN_REPORT, 0)]
        # While the finger rests, a frame now and then: the kernel passes on
        # only values that changed, and a frame without any is not sent.
        t = down + SCAN_US
        while t < up - SCAN_US // 2:
            if rng.random() < 0.35:
                frame = []
                if rng.random() < 0.4:
                    x += rng.choice((-1, 1))
                    frame.append((t, TOUCH_DEV, EV_ABS, ABS_MT_POSITION_X, x))
                if rng.random() < 0.3:
                    y += rng.choice((-1, 1))
                    frame.append((t, TOUCH_DEV, EV_ABS, ABS_MT_POSITION_Y, y))
                if rng.random() < 0.3:
                    major += 1 if major <= 2 else rng.choice((-1, 1))
                    frame.append((t, TOUCH_DEV, EV_ABS, ABS_MT_TOUCH_MAJOR, major))
                if not frame or rng.random() < 0.7:
                    step = rng.randint(1, 6)
                    pressure += step if pressure <= 10 else rng.choice((-step, step))
                    frame.append((t, TOUCH_DEV, EV_ABS, ABS_MT_PRESSURE, pressure))
                ev += frame + [(t, TOUCH_DEV, EV_SYN, SYN_REPORT, 0)]
            t += SCAN_US
        ev += [(up, TOUCH_DEV, EV_ABS, ABS_MT_TRACKING_ID, -1),
               (up, TOUCH_DEV, EV_KEY, BTN_TOUCH, 0),
               (up, TOUCH_DEV, EV_SYN, SYN_REPORT, 0)]
        tracking = (tracking + 1) & 0xFFFF
    # Noise: volume key presses outside the typing.
    for at, key in ((key_us[0] - rng.randint(4_000_000, 8_000_000), KEY_VOLUMEDOWN),
                    (key_us[-1] + rng.randint(2_000_000, 5_000_000), KEY_VOLUMEUP)):
        release = at + rng.randint(90_000, 200_000)
        ev += [(at, BUTTONS_DEV, EV_KEY, key, 1), (at, BUTTONS_DEV, EV_SYN, SYN_REPORT, 0),
               (release, BUTTONS_DEV, EV_KEY, key, 0), (release, BUTTONS_DEV, EV_SYN, SYN_REPORT, 0)]
    ev.sort(key=lambda e: e[0])     # stable: a frame's events keep their order
    return ev


def _getevent_line(t_us, dev, typ, code, value, labels):
    s, u = _sec_usec(t_us)
    head = f"[{s:8d}.{u:06d}] {dev}: "
    v = value & 0xFFFFFFFF
    if not labels:
        return f"{head}{typ:04x} {code:04x} {v:08x}"
    tl = TYPE_LABELS.get(typ)
    cl = CODE_LABELS.get(typ, {}).get(code)
    vl = KEY_VALUE_LABELS.get(value) if typ == EV_KEY else None
    out = f"{tl:<12.12}" if tl else f"{typ:04x}        "
    out += f" {cl:<20.20}" if cl else f" {code:04x}                "
    out += f" {vl:<20.20}" if vl else f" {v:08x}            "
    return head + out


def write_getevent(path, events, labels):
    with open(path, "w", newline="") as f:
        for n, (dev, name) in enumerate(DEVICES, 1):
            f.write(f"add device {n}: {dev}\n  name:     \"{name}\"\n")
        f.writelines(_getevent_line(*e, labels) + "\n" for e in events)


def write_logs(prefix, seed, key_us, other_key_us, other_seeds):
    """Writes PREFIX.getevent-lt.txt, .getevent-t.txt, .csv, .iso.csv, .jsonl,
    .other.csv and .other.getevent-lt.txt for the capture-clock key times
    key_us; returns truth.json's "logs" (by file name, without directory).
    other_key_us are the keystrokes of other schedules (for the .other logs),
    already placed in this session's span of capture-clock time."""
    rng = random.Random(f"tattle-keystrokes/{seed}/clocks")
    base = prefix.rsplit("/", 1)[-1]
    logs = {}

    def entry(suffix, fmt, clock, offset_us, **more):
        logs[base + suffix] = {"format": fmt, "clock": clock, "offset_s": offset_us / US,
                               "other_session": False, **more}

    # The phone booted 3-28 hours before the first keystroke; its uptime clock
    # is the capture clock minus the boot time (no drift).
    boot_us = key_us[0] - rng.randint(10_800, 100_800) * US - rng.randrange(US)
    events = touch_events([t - boot_us for t in key_us], seed)
    write_getevent(prefix + ".getevent-lt.txt", events, labels=True)
    write_getevent(prefix + ".getevent-t.txt", events, labels=False)
    entry(".getevent-lt.txt", "getevent-lt", "uptime", boot_us)
    entry(".getevent-t.txt", "getevent-t", "uptime", boot_us)

    # Wall clocks a few seconds off the capture's: log time = capture time + skew.
    def skew():
        return rng.choice((-1, 1)) * rng.randint(1_500_000, 4_500_000)

    csv_skew, iso_skew, jsonl_skew = skew(), skew(), skew()
    write_csv(prefix + ".csv", [t + csv_skew for t in key_us])
    entry(".csv", "csv-epoch", "wall", -csv_skew)
    write_iso_csv(prefix + ".iso.csv", [t + iso_skew for t in key_us])
    entry(".iso.csv", "csv-iso8601", "wall", -iso_skew)
    write_jsonl(prefix + ".jsonl", [t + jsonl_skew for t in key_us])
    entry(".jsonl", "jsonl-epoch", "wall", -jsonl_skew)

    # Other sessions: the same phone's clocks, this capture's span, other keystrokes.
    csv_us, getevent_us = other_key_us
    write_csv(prefix + ".other.csv", [t + csv_skew for t in csv_us])
    entry(".other.csv", "csv-epoch", "wall", -csv_skew, other_session=True,
          schedule_seed=other_seeds[0])
    write_getevent(prefix + ".other.getevent-lt.txt",
                   touch_events([t - boot_us for t in getevent_us], other_seeds[1], "/other"),
                   labels=True)
    entry(".other.getevent-lt.txt", "getevent-lt", "uptime", boot_us, other_session=True,
          schedule_seed=other_seeds[1])
    return logs


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: typing_schedule.py SEED [KEYS]")
    seed = int(sys.argv[1])
    keys = int(sys.argv[2]) if len(sys.argv) == 3 else 80
    sched = make_schedule(seed, keys)
    for t, ch in sched:
        print(f"{t / US:9.6f}\t{json.dumps(ch)}")
    print(f"# {len(sched)} keys in {sched[-1][0] / US:.3f} s: {''.join(c for _, c in sched)!r}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
