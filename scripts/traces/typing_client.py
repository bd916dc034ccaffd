#!/usr/bin/env python3
"""The apps of scripts/make-keystroke-traces: one person types K keystrokes on
a seeded, human-like schedule (typing_schedule.py), in real time, while apps
talk to their servers, each server a name of its own on an address of its own:

  per-key    type.tattle.test: one keep-alive HTTPS connection, opened before
             the typing; 3-40 ms (median ~9 ms) after each keystroke a POST
             /v1/input of a small JSON body with the text typed so far.
  debounced  suggest.tattle.test: one keep-alive HTTPS connection, opened
             before the typing; when no key follows a keystroke within
             DEBOUNCE_MS, a GET /complete?q=<text so far>, 1-3 ms after the
             quiet time ends.
  batched    batch.tattle.test: one keep-alive HTTPS connection; a POST
             /v1/batch 1-8 ms after every BATCH_EVERY-th keystroke (keys left
             over at the end are never sent).
  telemetry  telemetry.tattle.test: a keep-alive HTTPS connection opened at
             its first POST /v1/events; every 2 s +-30 %, whatever the typing.
  bulk       bulk.tattle.test: one curl download, HTTP/1.1, paced by the
             server (nginx limit_rate from its rate= argument) so that it
             lasts from the start of the session to about its end.
  browsing   www1/www2/www3.tattle.test: curl fetches 2-4 pages of one site
             per visit, HTTP/1.1 or HTTP/2, visits at Poisson times (mean gap
             BROWSE_MEAN_S), whatever the typing.

Servers are reached by address (--dest ROLE=NAME=IP), with SNI and Host set
to the name; every TLS secret goes to --keylog (Python's SSLContext
keylog_filename, curl's SSLKEYLOGFILE). Afterwards it writes PREFIX.truth.json
and the keystroke logs (typing_schedule.write_logs).

Usage: typing_client.py --seed S --keys K --ca CERT --keylog FILE --prefix PREFIX
                        --dest ROLE=NAME=IP ... --bulk-path P --bulk-bytes N --page P ...
Python 3 standard library only; run it inside the client's network namespace.
"""

import argparse
import http.client
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import typing_schedule as ts  # noqa: E402

DEBOUNCE_MS = ts.DEBOUNCE_MS
BATCH_EVERY = ts.BATCH_EVERY
PER_KEY_DELAY_MS = (3, 40)
TELEMETRY_EVERY_S, TELEMETRY_JITTER = 2.0, 0.3
BROWSE_MEAN_S = 6.0
LEAD_S = 2.5        # session start to first keystroke: connections open, bulk starts
TAIL_S = 1.5        # after the last debounced request
TIMEOUT = 10
LATE_WARN_MS = 5    # a request sent later than planned by more (a busy machine)
UA_APP = "tattle-keys-lab/1.0 (Linux; Android 13)"
UA_BROWSER = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Mobile Safari/537.36"
US = ts.US
ROLES = ("per-key", "debounced", "batched", "telemetry", "bulk", "browsing")
EXPECT = {"per-key": "per-key", "debounced": "debounced", "batched": "batched"}


SEED = None


def log(msg):
    print(f"typing_client (seed {SEED}): {msg}", file=sys.stderr, flush=True)


class Clock:
    """Capture-clock (CLOCK_REALTIME) instants, slept towards on the monotonic clock."""

    def __init__(self):
        self.real0, self.mono0 = time.time(), time.monotonic()

    def now_us(self):
        return round((self.real0 + time.monotonic() - self.mono0) * US)

    def sleep_until(self, t_us):
        target = self.mono0 + (t_us / US - self.real0)
        while (left := target - time.monotonic()) > 0:
            time.sleep(left)


class KeepAlive:
    """HTTP/1.1 over one TLS connection to a fixed address, SNI and Host the
    name (no DNS). Each request goes out in one write, so in one TLS record
    (http.client writes the head and the body separately)."""

    def __init__(self, name, ip, ctx):
        self.name, self.ip, self.ctx = name, ip, ctx
        self.sock = None
        self.connects = 0

    def connect(self):
        raw = socket.create_connection((self.ip, 443), TIMEOUT)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self.ctx.wrap_socket(raw, server_hostname=self.name)
        self.connects += 1

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, method, path, body):
        """Sends one request, reads its response; returns the status."""
        if self.sock is None:
            self.connect()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.name}", f"User-Agent: {UA_APP}",
                "Accept: application/json"]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
        resp = http.client.HTTPResponse(self.sock, method=method)
        resp.begin()
        resp.read()
        if resp.will_close:
            self.close()
        return resp.status


class Role:
    """One destination: its requests, sent in time by one thread."""

    def __init__(self, role, name, ip):
        self.role, self.name, self.ip = role, name, ip
        self.sent_us = []       # when each request was handed to the socket
        self.statuses = []
        self.late_us = []       # sent minus planned
        self.connects = 0


def https_worker(clock, role, conn, plan, errors):
    """plan: [(t_us, method, path, body or None)], in time order; a method
    of None opens the connection at t_us."""
    try:
        for t_us, method, path, body in plan:
            clock.sleep_until(t_us)
            if method is None:
                conn.connect()
                continue
            for attempt in (1, 2):
                try:
                    sent = clock.now_us()
                    status = conn.exchange(method, path, body)
                    break
                except (http.client.RemoteDisconnected, ConnectionError) as e:
                    # Closed by the server while idle: open a new one, as apps do.
                    conn.close()
                    if attempt == 2:
                        raise
                    log(f"{role.name}: {e}; reconnecting")
            role.sent_us.append(sent)
            role.late_us.append(sent - t_us)
            role.statuses.append(status)
    except Exception as e:  # noqa: BLE001: reported, the run fails
        errors.append(f"{role.name}: {type(e).__name__}: {e}")
    finally:
        conn.close()
        role.connects = conn.connects


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--keys", type=int, default=80)
    p.add_argument("--ca", required=True)
    p.add_argument("--keylog", required=True)
    p.add_argument("--prefix", required=True, help="output path prefix, e.g. DIR/keys-1")
    p.add_argument("--dest", action="append", default=[], help="ROLE=NAME=IP")
    p.add_argument("--client-ip", default="")
    p.add_argument("--bulk-path", default="/bulk/update.bin")
    p.add_argument("--bulk-bytes", type=int, required=True)
    p.add_argument("--page", action="append", default=[], help="a path every www site serves")
    a = p.parse_args()
    global SEED
    SEED = a.seed
    if a.keys < 2:
        p.error("--keys must be at least 2")

    dests = {}
    for d in a.dest:
        role, name, ip = d.split("=")
        if role not in ROLES:
            p.error(f"unknown role {role}")
        dests.setdefault(role, []).append((name, ip))
    for role in ROLES:
        if role not in dests:
            p.error(f"no --dest for {role}")

    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.keylog_filename = a.keylog
    ctx.set_alpn_protocols(["http/1.1"])
    rng = random.Random(f"tattle-keystrokes/{a.seed}/client")
    clock = Clock()

    # The plan, in capture-clock microseconds.
    sched = ts.make_schedule(a.seed, a.keys)
    start = clock.now_us() + 300_000
    first = start + round(LEAD_S * US)
    key_us = [first + off for off, _ in sched]
    texts = []
    for _, ch in sched:
        texts.append((texts[-1] if texts else "") + ch)
    debounce_us = DEBOUNCE_MS * 1000
    end = key_us[-1] + debounce_us + round(TAIL_S * US)

    def one(role):
        name, ip = dests[role][0]
        return Role(role, name, ip)

    roles = {r: one(r) for r in ("per-key", "debounced", "batched", "telemetry")}
    plans = {r: [] for r in roles}
    plans["per-key"].append((start + 100_000, None, None, None))
    plans["debounced"].append((start + 150_000, None, None, None))
    plans["batched"].append((start + 200_000, None, None, None))
    for i, t in enumerate(key_us):
        body = json.dumps({"field": "compose", "text": texts[i], "n": i + 1}).encode()
        delay = min(PER_KEY_DELAY_MS[1], PER_KEY_DELAY_MS[0] + rng.expovariate(1 / 9))
        plans["per-key"].append((t + round(delay * 1000), "POST", "/v1/input", body))
        quiet = key_us[i + 1] - t if i + 1 < len(key_us) else None
        if quiet is None or quiet > debounce_us:
            q = urllib.parse.quote(texts[i], safe="")
            plans["debounced"].append((t + debounce_us + rng.randint(1000, 3000), "GET",
                                       f"/complete?q={q}", None))
        if (i + 1) % BATCH_EVERY == 0:
            body = json.dumps({"text": texts[i], "keys": i + 1}).encode()
            plans["batched"].append((t + rng.randint(1000, 8000), "POST", "/v1/batch", body))
    t, n = start + rng.randint(200_000, 2_000_000), 0
    while t < end:
        n += 1
        body = json.dumps({"event": "heartbeat", "seq": n, "battery": rng.randint(40, 90)}).encode()
        plans["telemetry"].append((t, "POST", "/v1/events", body))
        t += round(TELEMETRY_EVERY_S * rng.uniform(1 - TELEMETRY_JITTER, 1 + TELEMETRY_JITTER) * US)

    # curl runs: (t_us, role, name, ip, argv, urls).
    curl_base = ["curl", "-sS", "--cacert", a.ca, "--max-time", "120"]
    bulk_name, bulk_ip = dests["bulk"][0]
    bulk_start = start + 200_000
    rate = max(1024, round(a.bulk_bytes / ((end - US - bulk_start) / US)))
    # The server paces it (nginx limit_rate $arg_rate): curl 7.88's --limit-rate
    # only paces its reads, while the kernel takes in the rest at once.
    runs = [(bulk_start, "bulk", bulk_name, bulk_ip, ["--http1.1", "-A", UA_APP],
             [f"{a.bulk_path}?rate={rate}"])]
    pages = a.page or ["/index.html"]
    t = start + round(rng.expovariate(1 / BROWSE_MEAN_S) * US)
    while t < end - US:
        name, ip = rng.choice(dests["browsing"])
        version = rng.choice(["--http1.1", "--http2"])
        urls = [pages[0]] + rng.sample(pages[1:], min(len(pages) - 1, rng.randint(1, 3)))
        runs.append((t, "browsing", name, ip, [version, "-A", UA_BROWSER], urls))
        t += round(rng.expovariate(1 / BROWSE_MEAN_S) * US)
    runs.sort(key=lambda r: r[0])

    log(f"{a.keys} keys over {(key_us[-1] - key_us[0]) / US:.1f} s, "
        f"session {(end - start) / US:.1f} s, {len(plans['debounced']) - 1} debounced, "
        f"{len(plans['telemetry'])} telemetry, {len(runs) - 1} visits, bulk at {rate} B/s")

    errors = []
    threads = []
    for r, role in roles.items():
        conn = KeepAlive(role.name, role.ip, ctx)
        th = threading.Thread(target=https_worker, args=(clock, role, conn, plans[r], errors),
                              name=r, daemon=True)
        th.start()
        threads.append(th)

    env = dict(os.environ, SSLKEYLOGFILE=a.keylog)
    procs = []
    by_dest = {}
    for t_us, role, name, ip, opts, urls in runs:
        clock.sleep_until(t_us)
        argv = curl_base + opts + ["--resolve", f"{name}:443:{ip}"]
        for u in urls:
            argv += ["-o", "/dev/null", f"https://{name}{u}"]
        dest = by_dest.setdefault((role, name), Role(role, name, ip))
        dest.sent_us.append(clock.now_us())
        dest.late_us.append(dest.sent_us[-1] - t_us)
        procs.append((name, subprocess.Popen(argv, env=env)))
    for th in threads:
        th.join()
    for name, pr in procs:
        if pr.wait() != 0:
            errors.append(f"curl {name}: exit {pr.returncode}")

    # Truth and logs.
    all_roles = list(roles.values()) + sorted(by_dest.values(), key=lambda d: (d.role, d.name))
    all_roles.sort(key=lambda d: ROLES.index(d.role))
    base = a.prefix.rsplit("/", 1)[-1]
    other_seeds = (1_000_000 + a.seed, 2_000_000 + a.seed)
    orng = random.Random(f"tattle-keystrokes/{a.seed}/other")
    others = []
    for s in other_seeds:
        shift = first + orng.randint(-1_500_000, 1_500_000)
        others.append([shift + off for off, _ in ts.make_schedule(s, a.keys)])
    logs = ts.write_logs(a.prefix, a.seed, key_us, others, other_seeds)
    truth = {
        "seed": a.seed,
        "keystrokes": a.keys,
        "key_times": [t / US for t in key_us],
        "debounce_ms": DEBOUNCE_MS,
        "batch_every": BATCH_EVERY,
        "per_key_delay_ms": list(PER_KEY_DELAY_MS),
        "telemetry_every_s": TELEMETRY_EVERY_S,
        "telemetry_jitter": TELEMETRY_JITTER,
        "browse_mean_gap_s": BROWSE_MEAN_S,
        "capture": base + ".pcapng",
        "keylog": base + ".keylog",
        "client_ip": a.client_ip,
        "session": {"start": start / US, "end": end / US},
        "text": texts[-1],
        "destinations": [{
            "role": d.role, "name": d.name, "ip": d.ip, "port": 443, "proto": "tcp",
            "expect": EXPECT.get(d.role),
            "request_times": [t / US for t in d.sent_us],
        } for d in all_roles],
        "logs": logs,
    }
    with open(a.prefix + ".truth.json", "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")

    for d in all_roles:
        late = max(d.late_us, default=0) / 1000
        conns = f", {d.connects} connection(s)" if d.role in roles else ""
        bad = [s for s in d.statuses if s >= 400]
        log(f"  {d.role:<9} {d.name:<22} {len(d.sent_us):3d} requests, "
            f"at most {late:.1f} ms late{conns}{', HTTP errors ' + str(bad) if bad else ''}")
        if bad:
            errors.append(f"{d.name}: HTTP {bad}")
        slow = [(lu, su) for lu, su in zip(d.late_us, d.sent_us) if lu > LATE_WARN_MS * 1000]
        if slow:
            worst = max(slow)
            log(f"  warning: {d.name}: {len(slow)} request(s) over {LATE_WARN_MS} ms late, the worst "
                f"{worst[0] / 1000:.1f} ms at +{(worst[1] - start) / US:.2f} s")
    if len(roles["per-key"].sent_us) != a.keys:
        errors.append("per-key: not one request per keystroke")
    if errors:
        for e in errors:
            log(f"error: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
