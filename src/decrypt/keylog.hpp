// Secrets from key logs in the SSLKEYLOGFILE format (RFC 9850): from the files a user names and
// from the key log text of pcapng Decryption Secrets Blocks. A line is `LABEL client_random
// secret`, both values in hex; the secrets are found again by the client random a handshake
// shows. Hand-written: no library in Debian reads this format (OpenSSL only writes it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/counter.hpp"
#include "core/diagnostics.hpp"
#include "core/worker_lock.hpp"

namespace tattle::decrypt {

// The secrets a key log names (RFC 9850 §2.1-2.3). The QUIC_-prefixed labels of older QUIC
// stacks are the TLS 1.3 traffic secrets under another name.
enum class Secret : std::uint8_t {
  kMaster,                  // CLIENT_RANDOM: TLS 1.2 and earlier
  kClientEarlyTraffic,      // CLIENT_EARLY_TRAFFIC_SECRET
  kEarlyExporter,           // EARLY_EXPORTER_SECRET
  kClientHandshakeTraffic,  // CLIENT_HANDSHAKE_TRAFFIC_SECRET
  kServerHandshakeTraffic,  // SERVER_HANDSHAKE_TRAFFIC_SECRET
  kClientTraffic0,          // CLIENT_TRAFFIC_SECRET_0
  kServerTraffic0,          // SERVER_TRAFFIC_SECRET_0
  kExporter,                // EXPORTER_SECRET
  kEch,                     // ECH_SECRET: keyed by the outer ClientHello's random
  kEchConfig,               // ECH_CONFIG: the same
  kCount,
};
// The label as RFC 9850 spells it.
std::string_view label(Secret s);
// The secret a label names, aliases included; nothing for labels not known here.
std::optional<Secret> secret_of_label(std::string_view label);

enum class KeyLogCounter {
  kLines,          // lines with a label, read
  kSecrets,        // secrets kept
  kMalformed,      // lines that are not `LABEL hex hex` or whose values are of the wrong size
  kUnknownLabels,  // well-formed lines with a label not known here (RSA, future labels)
  kRepeated,       // a secret logged again for the same connection: the first one is kept
  kDropped,        // secrets of connections beyond kMaxConnections
  kHandshakesWithKeys,     // TLS and QUIC handshakes whose client random the key log has
  kHandshakesWithoutKeys,  // those it has not
  kCount,
};
std::string_view counter_name(KeyLogCounter c);

using ClientRandom = std::array<std::uint8_t, 32>;

class KeyLog {
 public:
  // Bounds what a hostile or runaway key log can make us hold.
  static constexpr std::size_t kMaxConnections = 1 << 22;
  static constexpr std::size_t kMaxSecret = 1024;  // bytes; ECH_CONFIG is the longest

  struct Secrets {
    std::array<std::vector<std::uint8_t>, static_cast<std::size_t>(Secret::kCount)> of;
    bool used = false;  // a connection in the capture asked for them
    [[nodiscard]] const std::vector<std::uint8_t>& get(Secret s) const { return of[static_cast<std::size_t>(s)]; }
  };

  // Reads key log text (LF or CRLF line ends; '#' comments and blank lines skipped). A line that
  // cannot be read is counted and reported to `diag` (when given) as damage to input `input` at
  // its byte offset plus `base_offset`; the other lines are still read.
  void add_text(std::string_view text, core::Diagnostics* diag = nullptr, std::uint32_t input = 0,
                std::uint64_t base_offset = 0);

  // Whether the key log has secrets for the connection whose ClientHello carried `random`;
  // counted, and the secrets found marked used. Callable from any flow worker.
  bool has(const ClientRandom& random);
  // The same, with a copy of the secrets into `out` when there are some (a later key log text
  // may move the ones held here).
  bool copy_secrets(const ClientRandom& random, Secrets& out);
  // The secrets of that connection, or null; marked used. Valid until text is added.
  const Secrets* find(const ClientRandom& random);
  // Workers call has() at once only when flows are tracked on threads of their own.
  void set_shared(bool shared) { lock_.set_shared(shared); }

  [[nodiscard]] std::size_t connections() const { return by_random_.size(); }
  // Connections with secrets that no connection of the capture asked for: a key log of another
  // capture, or connections the capture missed.
  [[nodiscard]] std::size_t unused() const;
  [[nodiscard]] const core::Counters<KeyLogCounter>& counters() const { return counters_; }

 private:
  core::WorkerLock lock_;
  absl::flat_hash_map<ClientRandom, Secrets> by_random_;
  core::Counters<KeyLogCounter> counters_;
};

}  // namespace tattle::decrypt
