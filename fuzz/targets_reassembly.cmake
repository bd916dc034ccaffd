# TCP reassembly: a structure-aware script of segments with an oracle (see fuzz_tcp_reassembly.cpp).
tattle_fuzz_target(tcp_reassembly DEPS tattle_reassembly)
