# Decode stage: one target per link layer, all from fuzz_link.cpp; `ip` runs raw IP with a corpus
# of IPv4/IPv6/transport/tunnel packets; `ip_fragments` is structure-aware reassembly fuzzing.
foreach(target IN ITEMS ethernet:1 sll:113 sll2:276 raw:101 null:0 loop:108 pktap:258 nflog:239 ppp:9)
  string(REPLACE ":" ";" parts ${target})
  list(GET parts 0 name)
  list(GET parts 1 linktype)
  tattle_fuzz_target(link_${name} SOURCE fuzz_link.cpp DEFINES TATTLE_FUZZ_LINKTYPE=${linktype}
                     DEPS tattle_decode)
endforeach()
tattle_fuzz_target(ip SOURCE fuzz_link.cpp DEFINES TATTLE_FUZZ_LINKTYPE=101 DEPS tattle_decode)
tattle_fuzz_target(ip_fragments SOURCE fuzz_ip_fragments.cpp DEPS tattle_decode)
