// The TLS dissector for TCP flows: reads the client's first handshake message from its TLS
// records (a ClientHello may span several records, and records several segments), and gives
// the flow its SNI, ALPN, offered versions and JA4. Everything after that is passed over.
#pragma once

#include <string_view>

#include "core/counter.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

enum class TlsCounter {
  kClientHellos,  // ClientHellos read
  kNotTls,        // TCP flows whose client did not begin with a TLS handshake record
  kMalformed,     // handshakes that began as TLS but could not be read
  kTooLarge,      // ClientHellos longer than kMaxClientHello: counted, not read
  kCount,
};
std::string_view counter_name(TlsCounter c);

// Post-quantum key shares make ClientHellos of 2-3 KB; 64 KB is far above any real one.
inline constexpr std::size_t kMaxClientHello = 64 * 1024;

// Adds the TLS dissector to `table` for every TCP flow (after any dissector added before it);
// `counters` must outlive the flows.
void add_tls(flow::DissectorTable& table, core::Counters<TlsCounter>& counters);

}  // namespace tattle::dissect
