"""HTTP requests as tshark reads them and as tattle reports them, for the trace tests
(compare.py over every capture, keylog_test.py with key logs): (version, method, authority,
target) with how often each was sent, HTTP/1.x and HTTP/2 alike."""
import collections
import json
import subprocess

AGGREGATOR = "\x1e"  # between the values of a field that occurs several times in a frame


def tshark_requests(capture, options, ports):
    """Every HTTP/1.x and HTTP/2 request tshark reads in `capture` (with `options`, such as a key
    log). tshark looks for HTTP on its own lists of ports only, so `ports` ({"HTTP/1": {80, ...},
    "HTTP/2": {...}}) tells it the server ports where tattle found HTTP in clear text (tattle
    reads a request line, or HTTP/2's preface, on any port)."""
    decode_as = []
    for version, protocol in (("HTTP/1", "http"), ("HTTP/2", "http2")):
        for port in sorted(ports.get(version, ())):
            decode_as += ["-d", f"tcp.port=={port},{protocol}"]

    def rows(filter_, *names):
        args = ["tshark", "-n", "-r", capture, *options, *decode_as, "-Y", filter_, "-T", "fields",
                "-E", f"aggregator={AGGREGATOR}"]
        for n in names:
            args += ["-e", n]
        out = subprocess.run(args, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"tshark failed on {capture}: {out.stderr.strip()[-300:]}")
        for line in out.stdout.splitlines():
            fields = (line.split("\t") + [""] * len(names))[:len(names)]
            yield from zip(*(f.split(AGGREGATOR) for f in fields))

    found = collections.Counter()
    for version, method, host, uri in rows("tcp && http.request", "http.request.version", "http.request.method",
                                           "http.host", "http.request.uri"):
        if version.startswith("HTTP/1."):
            found[("HTTP/1", method, host, uri)] += 1
    # HTTP/2's header fields are read per HEADERS frame from tshark's JSON: as fields, those of
    # several frames in one packet cannot be told apart when one lacks a field.
    args = ["tshark", "-n", "-r", capture, *options, *decode_as, "-Y", "tcp && (http2.type == 1 || http2.type == 5)", "-T", "json",
            "--no-duplicate-keys", "-J", "http2"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"tshark failed on {capture}: {out.stderr.strip()[-300:]}")
    for packet in json.loads(out.stdout or "[]"):
        for layer in as_list(packet["_source"]["layers"].get("http2", [])):
            for frame in as_list(layer.get("http2.stream", [])):
                fields = {h.get("http2.header.name"): h.get("http2.header.value", "")
                          for h in as_list(frame.get("http2.header", [])) if isinstance(h, dict)}
                # HEADERS, and PUSH_PROMISE: the request a server pushes the response to.
                if frame.get("http2.type") in ("1", "5") and ":method" in fields:
                    found[("HTTP/2", fields[":method"], fields.get(":authority", ""), fields.get(":path", ""))] += 1
    return found


def as_list(x):
    return x if isinstance(x, list) else [x]


def tattle_requests(report):
    """The requests of tattle's `messages` (over TCP: HTTP/1.x and HTTP/2), and the server ports
    of those in clear text, by version, for tshark_requests()."""
    servers = {f["id"]: f["server"] for f in report["flows"]}
    found, ports = collections.Counter(), {"HTTP/1": set(), "HTTP/2": set()}
    for m in report.get("messages", []):
        version = m["version"][:6]
        # tshark 4.0 reads no HTTP/3 field sections (it has no QPACK decoder): nothing to compare.
        if version not in ("HTTP/1", "HTTP/2"):
            continue
        if "method" in m:
            found[(version, m["method"], m["authority"], m["path"])] += 1
        if not m["decrypted"] and m["flow"] in servers:
            ports[version].add(int(servers[m["flow"]].rsplit(":", 1)[1]))
    # A port with HTTP/1.x as well is an upgrade to HTTP/2 (h2c), which tshark follows from HTTP.
    ports["HTTP/2"] -= ports["HTTP/1"]
    return found, ports


def request_problems(name, ours, theirs):
    problems = []
    for q in sorted((ours - theirs).keys()):
        problems.append(f"{name}: HTTP request {q}: tattle has it {ours[q]} times, tshark {theirs[q]}")
    for q in sorted((theirs - ours).keys()):
        problems.append(f"{name}: HTTP request {q}: tshark has it {theirs[q]} times, tattle {ours[q]}")
    return problems
