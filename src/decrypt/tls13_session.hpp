// One TLS 1.3 connection's decryption, both directions, from the secrets a key log holds for it:
// each side's records are opened with its handshake traffic secret until that side's Finished,
// then with its application traffic secret, and with the next one after each KeyUpdate
// (RFC 8446 §4.4.4, §4.6.3, §7.2). Records are given whole, in stream order per direction;
// ChangeCipherSpec records (sent for middlebox compatibility) are passed over.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/byte_reader.hpp"
#include "decrypt/key_schedule.hpp"
#include "decrypt/keylog.hpp"
#include "decrypt/record.hpp"
#include "decrypt/tls_session.hpp"

namespace tattle::decrypt {

class Tls13Session final : public TlsSession {
 public:
  enum class Start : std::uint8_t { kStarted, kUnsupportedSuite, kMissingSecrets };
  // With the server's chosen cipher suite and the connection's logged secrets (kept).
  Start start(std::uint16_t cipher_suite, KeyLog::Secrets secrets);

  Result on_record(bool from_client, core::Bytes record, absl::FunctionRef<void(core::Bytes)> app_data) override;

 private:
  // Handshake messages are found in the decrypted handshake stream by their 4-byte headers,
  // which may straddle records; only their types matter here.
  struct Side {
    RecordOpener opener;
    std::vector<std::uint8_t> secret;  // the current traffic secret
    std::array<std::uint8_t, 4> header{};
    std::size_t header_have = 0;
    std::uint64_t body_left = 0;
    bool application_keys = false;  // past this side's Finished
    bool failed = false;
  };
  bool rekey(Side& s, const std::vector<std::uint8_t>& secret);
  // Walks decrypted handshake bytes; which message, if any, ends a key's use (the next record
  // is under new keys).
  enum class Change : std::uint8_t { kNone, kFinished, kKeyUpdate };
  static Change scan_handshake(Side& s, core::Bytes bytes);

  Hash hash_ = Hash::kSha256;
  Aead aead_ = Aead::kAes128Gcm;
  KeyLog::Secrets secrets_;
  Side sides_[2];  // [0] the client's records, [1] the server's
  std::vector<std::uint8_t> plain_;
};

}  // namespace tattle::decrypt
