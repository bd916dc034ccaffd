// The TLS dissector for TCP flows: reads the client's first handshake message from its TLS
// records (a ClientHello may span several records, and records several segments), and gives
// the flow its SNI, ALPN, offered versions and JA4. With the connection's secrets in the key log
// it goes on to decrypt both sides' records, and hands the plaintext to the HTTP/1.x dissector
// when the client's first bytes are a request; otherwise everything after the ClientHello is
// passed over.
#pragma once

#include <memory>
#include <string_view>

#include "core/counter.hpp"
#include "decrypt/keylog.hpp"
#include "dissect/http.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

enum class TlsCounter {
  kClientHellos,  // ClientHellos read
  kMalformed,     // handshakes that began as TLS but could not be read
  kTooLarge,      // ClientHellos longer than kMaxClientHello: counted, not read
  kDecryptedFlows,     // TLS flows whose every record read decrypted with logged keys
  kRecordsDecrypted,   // records opened and verified
  kRecordsFailed,      // records whose tag did not verify (or out of place): the direction stops
  kApplicationBytes,   // application data decrypted
  kCount,
};
std::string_view counter_name(TlsCounter c);

// Post-quantum key shares make ClientHellos of 2-3 KB; 64 KB is far above any real one.
inline constexpr std::size_t kMaxClientHello = 64 * 1024;

// For a flow whose client begins with a TLS record (see tcp.hpp); `counters` must outlive it,
// and so must `keylog`, which is told of the ClientHello's random when not null, and what `http`
// points to, which is where decrypted HTTP goes.
std::unique_ptr<flow::Dissector> make_tls_dissector(core::Counters<TlsCounter>& counters,
                                                    decrypt::KeyLog* keylog = nullptr, const HttpContext& http = {});

// True when `bytes` begin like a TLS handshake record.
bool looks_like_tls(core::Bytes bytes);

}  // namespace tattle::dissect
