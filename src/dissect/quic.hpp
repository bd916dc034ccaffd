// The QUIC dissector for UDP flows: a flow whose client opens with a QUIC Initial (or 0-RTT)
// packet of v1, v2 or drafts 23 to 32, on any port, has its client's Initial packets decrypted
// until the ClientHello is read (see quic_initial.hpp), which gives the flow its SNI, ALPN,
// offered versions and JA4.
// Everything after that, the server's datagrams and 1-RTT packets cost a comparison each.
#pragma once

#include "core/counter.hpp"
#include "decrypt/keylog.hpp"
#include "dissect/quic_initial.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

// Adds the QUIC dissector to `table` for UDP flows whose first packet is a client's QUIC
// Initial or 0-RTT packet; others get nothing from it and cost it no allocation. `counters` (QuicCounter and
// its counter_name() are in quic_initial.hpp) must outlive the flows, and so must `keylog`, which
// is told of every ClientHello's random when not null.
void add_quic(flow::DissectorTable& table, core::Counters<QuicCounter>& counters, decrypt::KeyLog* keylog = nullptr);

}  // namespace tattle::dissect
