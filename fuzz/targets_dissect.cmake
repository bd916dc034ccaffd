# Dissect stage: one target per dissector.
tattle_fuzz_target(dns DEPS tattle_dissect)
tattle_fuzz_target(tcp_payload DEPS tattle_dissect)
tattle_fuzz_target(quic_initial DEPS tattle_dissect)
