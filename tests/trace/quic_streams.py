"""QUIC stream data as tshark decrypts it, for the key log test: per connection, stream and
sender, the bytes from offset 0 up to the first hole, each byte once (retransmissions count
once, as tattle counts them; tshark's own `follow,quic` repeats them)."""
import json
import subprocess


def _frames(o, out):
    if isinstance(o, dict):
        if "quic.stream.stream_id" in o:
            out.append(o)
        for v in o.values():
            _frames(v, out)
    elif isinstance(o, list):
        for v in o:
            _frames(v, out)


def tshark_stream_bytes(capture, options):
    """The contiguous stream bytes of every QUIC connection tshark decrypts in `capture`."""
    out = subprocess.run(["tshark", "-n", "-r", capture, *options, "-Y", "quic.stream.stream_id", "-T", "json",
                          "--no-duplicate-keys", "-J", "udp quic"], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"tshark failed on {capture}: {out.stderr.strip()[-300:]}")
    ranges = {}  # (connection, source port, stream) -> [(begin, end)]
    for packet in json.loads(out.stdout or "[]"):
        layers = packet["_source"]["layers"]
        if "udp" not in layers:  # a packet quoted in an ICMP error, which tshark dissects too: not traffic
            continue
        udp = layers["udp"]
        port = (udp[0] if isinstance(udp, list) else udp).get("udp.srcport")
        quic = layers.get("quic", [])
        for q in quic if isinstance(quic, list) else [quic]:
            connection = q.get("quic.connection.number") if isinstance(q, dict) else None
            frames = []
            _frames(q, frames)
            for f in frames:
                data = f.get("quic.stream_data", "")
                length = len(data.split(":")) if data else 0
                offset = int(f.get("quic.stream.offset", "0") or 0)
                ranges.setdefault((connection, port, f["quic.stream.stream_id"]), []).append((offset, offset + length))
    total = 0
    for spans in ranges.values():
        end = 0
        for begin, stop in sorted(spans):
            if begin > end:
                break
            end = max(end, stop)
        total += end
    return total
