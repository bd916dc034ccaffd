// The QUIC dissector for UDP flows: a flow whose client opens with a QUIC Initial (or 0-RTT)
// packet of v1, v2 or drafts 23 to 32, on any port, has its client's Initial packets decrypted
// until the ClientHello is read (see quic_initial.hpp), which gives the flow its SNI, ALPN,
// offered versions and JA4. With the connection's secrets in the key log, both sides' packets
// are decrypted from there on (quic_session.hpp) and, when the client offered HTTP/3, its
// exchanges read (http3.hpp); without, the rest of the flow costs a comparison a datagram.
#pragma once

#include "core/counter.hpp"
#include "decrypt/keylog.hpp"
#include "dissect/http.hpp"
#include "dissect/quic_initial.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

// Adds the QUIC dissector to `table` for UDP flows whose first packet is a client's QUIC
// Initial or 0-RTT packet; others get nothing from it and cost it no allocation. `counters` (QuicCounter and
// its counter_name() are in quic_initial.hpp) must outlive the flows, and so must `keylog`, which
// is told of every ClientHello's random when not null, and `http_counters` and `http` (null:
// HTTP/3 is not read), where the HTTP/3 exchanges of decrypted connections go.
void add_quic(flow::DissectorTable& table, core::Counters<QuicCounter>& counters, decrypt::KeyLog* keylog = nullptr,
              core::Counters<HttpCounter>* http_counters = nullptr, HttpSink* http = nullptr);

}  // namespace tattle::dissect
