// Which dissector a TCP flow gets is known only from its client's first bytes: a TLS handshake
// record, or an HTTP/1.x request line. This dissector waits for them, then hands the flow to
// the TLS or the HTTP dissector for good, or detaches when they are neither.
#pragma once

#include <string_view>

#include "core/counter.hpp"
#include "dissect/http.hpp"
#include "dissect/tls.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

enum class TcpPayloadCounter {
  kTls,           // flows handed to the TLS dissector
  kHttp,          // flows handed to the HTTP dissector
  kUnrecognised,  // flows whose client began with something else
  kCount,
};
std::string_view counter_name(TcpPayloadCounter c);

struct TcpDissectorCounters {
  core::Counters<TcpPayloadCounter> payload;
  core::Counters<TlsCounter> tls;
  core::Counters<HttpCounter> http;
};

// Adds the TCP dissectors to `table` for every TCP flow not taken by a dissector added before;
// `counters`, `keylog` and `http` (null: none) must outlive the flows. HTTP exchanges, in clear
// text and decrypted, go to `http`.
void add_tcp(flow::DissectorTable& table, TcpDissectorCounters& counters, decrypt::KeyLog* keylog = nullptr,
             HttpSink* http = nullptr);

}  // namespace tattle::dissect
