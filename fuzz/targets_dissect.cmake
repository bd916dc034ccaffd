# Dissect stage: one target per dissector.
tattle_fuzz_target(dns DEPS tattle_dissect)
tattle_fuzz_target(tcp_payload DEPS tattle_dissect)
tattle_fuzz_target(quic_initial DEPS tattle_dissect)
tattle_fuzz_target(http1 DEPS tattle_dissect)
tattle_fuzz_target(content_coding DEPS tattle_dissect)
tattle_fuzz_target(http2 DEPS tattle_dissect SOURCE fuzz_http1.cpp DEFINES TATTLE_FUZZ_HTTP2)
tattle_fuzz_target(har DEPS tattle_dissect)
tattle_fuzz_target(quic_frames DEPS tattle_dissect)
