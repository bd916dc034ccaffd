#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_keylog (fuzz/corpus/keylog/) and fuzz_tls_record
(fuzz/corpus/tls_record/: the client's application data and close_notify records of RFC 8448 §3,
which verify under the keys the target uses, and variants) and fuzz_tls_decrypt
(fuzz/corpus/tls_decrypt/: RFC 8448 §3's whole conversation, its records taken from
tests/support/rfc8448.hpp, in the target's chunks, and variants). For fuzz_keylog:: the project's own key log (written
by curl through SSLKEYLOGFILE, see tests/traces/README.md), and variants that reach each branch
of the reader: CRLF, comments, aliases, damaged lines. Run from anywhere:
python3 fuzz/gen_decrypt_corpus.py
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def write(name, data, target="keylog"):
    d = os.path.join(HERE, "corpus", target)
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

# RFC 8448 §3: {client} send application_data record, then its close_notify alert.
app = bytes.fromhex(
    "17030300 43a23f70 54b62c94 d0affafe 8228ba55 cbefacea 42f914aa 66bcab3f 2b9819a8 a5b46b39 5bd54a9a"
    "20441e2b 62974e1f 5a6292a2 977014bd 1e3deae6 3aeebb21 694915e4".replace(" ", ""))
alert = bytes.fromhex("17030300 13c98727 60655666 b74d7ff1 153efd6d b6d0b0e3".replace(" ", ""))
write("aes128_app_then_alert", b"\x00" + app + alert, "tls_record")
write("aes128_alert_first", b"\x00" + alert + app, "tls_record")
write("chacha_app", b"\x02" + app, "tls_record")
write("short", b"\x01" + app[:20], "tls_record")


def rfc8448(name):
    """A record of tests/support/rfc8448.hpp, as bytes."""
    text = open(os.path.join(ROOT, "tests", "support", "rfc8448.hpp")).read()
    m = re.search(r"std::string_view " + name + r" =\s*((?:\"[^\"]*\"\s*)+);", text)
    return bytes.fromhex("".join(re.findall(r"\"([^\"]*)\"", m.group(1))).replace(" ", ""))


def chunk(side, data):
    return bytes([side]) + len(data).to_bytes(2, "big") + data


CLIENT, SERVER = 0, 1
ccs = bytes.fromhex("140303000101")
conversation = [
    chunk(CLIENT, rfc8448("kClientHelloRecord")),
    chunk(SERVER, rfc8448("kServerHelloRecord") + ccs + rfc8448("kServerFlight")),
    chunk(CLIENT, ccs + rfc8448("kClientFinished") + rfc8448("kClientAppData")),
    chunk(SERVER, rfc8448("kServerTicket") + rfc8448("kServerAppData")),
    chunk(SERVER, rfc8448("kServerAlert")),
    chunk(CLIENT, rfc8448("kClientAlert")),
]
write("rfc8448", b"".join(conversation), "tls_decrypt")
flight = rfc8448("kServerFlight")
write("rfc8448_split_records", b"".join(conversation[:1]) + chunk(SERVER, rfc8448("kServerHelloRecord")[:40])
      + chunk(SERVER, rfc8448("kServerHelloRecord")[40:] + flight[:300]) + chunk(SERVER, flight[300:])
      + b"".join(conversation[2:]), "tls_decrypt")
write("rfc8448_tls12_server", conversation[0] + chunk(SERVER, rfc8448("kServerHelloRecord")[:-6]), "tls_decrypt")
# A TLS 1.2 ServerHello choosing ECDHE-RSA-AES128-GCM-SHA256, then each side's CCS and a record
# that does not verify: the TLS 1.2 key block and record paths.
tls12_hello = bytes.fromhex("160303002a020000260303") + bytes(range(32)) + bytes.fromhex("00c02f00")
sealed = bytes.fromhex("1603030028") + bytes(40)
write("tls12_gcm", conversation[0] + chunk(SERVER, tls12_hello + ccs + sealed)
      + chunk(CLIENT, bytes.fromhex("16030300021000") + ccs + sealed), "tls_decrypt")
