#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_keylog (fuzz/corpus/keylog/): the project's own key log (written
by curl through SSLKEYLOGFILE, see tests/traces/README.md), and variants that reach each branch
of the reader: CRLF, comments, aliases, damaged lines. Run from anywhere:
python3 fuzz/gen_decrypt_corpus.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def write(name, data):
    d = os.path.join(HERE, "corpus", "keylog")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data if isinstance(data, bytes) else data.encode())


with open(os.path.join(ROOT, "tests", "traces", "sample.keylog"), "rb") as fh:
    sample = fh.read()
write("sample", sample)
write("sample_crlf", sample.replace(b"\n", b"\r\n"))
write("sample_upper", sample.upper())

r = "ab" * 32
write("labels", "\n".join([
    "# comment", "",
    f"CLIENT_RANDOM {r} {'01' * 48}",
    f"ECH_SECRET {r} {'02' * 32}",
    f"ECH_CONFIG {r} {'03' * 90}",
    f"QUIC_CLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {'04' * 32}",
    f"QUIC_SERVER_TRAFFIC_SECRET_0\t{r}\t{'05' * 48}",
    f"EARLY_EXPORTER_SECRET {r} {'06' * 64}",
]))
write("damaged", "\n".join([
    f"CLIENT_RANDOM {r}",
    f"CLIENT_RANDOM {r} {'01' * 47}",
    f"CLIENT_RANDOM {r[2:]} {'01' * 48}",
    f"EXPORTER_SECRET {r} {'0' * 63}",
    f"EXPORTER_SECRET {r} {'zz' * 32}",
    f"EXPORTER_SECRET {r} {'07' * 32} extra",
    f"RSA 0011223344556677 {'08' * 48}",
    f"EXPORTER_SECRET {r} {'09' * 32}",
    f"EXPORTER_SECRET {r} {'0a' * 32}",
    "   \t",
]))
