// One TLS 1.0, 1.1 or 1.2 connection's decryption from the master secret a key log holds for it
// (label CLIENT_RANDOM): the key block from the PRF over both randoms (RFC 5246 §6.3), then each
// side's records from its ChangeCipherSpec on. AEAD suites (TLS 1.2): AES-GCM and AES-CCM (RFC
// 5288, RFC 6655: a 4-byte salt and an 8-byte explicit nonce per record) and ChaCha20-Poly1305 (RFC 7905: the IV XOR the
// sequence number), with the sequence number, type, version and plaintext length as additional
// data (RFC 5246 §6.2.3.3). CBC suites with HMAC (cbc_record.hpp), in every version. Before its
// CCS a side's records are in the clear.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "decrypt/cbc_record.hpp"
#include "decrypt/key_schedule.hpp"
#include "decrypt/record.hpp"
#include "decrypt/tls_session.hpp"

namespace tattle::decrypt {

class Tls12Session final : public TlsSession {
 public:
  enum class Start : std::uint8_t { kStarted, kUnsupportedSuite, kFailed };
  // `version`: the ServerHello's (0x0301 to 0x0303); `encrypt_then_mac`: it agreed to RFC 7366.
  Start start(std::uint16_t version, std::uint16_t cipher_suite, bool encrypt_then_mac, core::Bytes master_secret,
              core::Bytes client_random, core::Bytes server_random);
  Result on_record(bool from_client, core::Bytes record, absl::FunctionRef<void(core::Bytes)> app_data) override;

 private:
  struct Side {
    RecordOpener opener;  // AEAD suites
    CbcOpener cbc;        // CBC suites
    std::array<std::uint8_t, 12> iv{};  // GCM: the 4-byte salt first; ChaCha20: all 12
    std::uint64_t sequence = 0;
    bool encrypted = false;  // past this side's ChangeCipherSpec
    bool failed = false;
  };
  bool open_aead(Side& s, core::Bytes record);
  bool chacha_ = false;
  bool cbc_ = false;
  Side sides_[2];  // [0] the client's records, [1] the server's
  std::vector<std::uint8_t> plain_;
  std::size_t plain_size_ = 0;
};

}  // namespace tattle::decrypt
