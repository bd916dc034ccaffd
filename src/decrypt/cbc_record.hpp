// TLS 1.0-1.2 records protected with a block cipher and HMAC, one direction of a connection:
// AES-CBC with HMAC-SHA1, -SHA256 or -SHA384 (RFC 5246 §6.2.3.2), MAC then encrypt, or encrypt
// then MAC where both sides agreed to it (RFC 7366). TLS 1.1 and 1.2 send each record's IV before
// it; TLS 1.0 chains it from the previous record's last ciphertext block (RFC 2246 §6.2.3.2).
// Cipher and MAC through OpenSSL 3's EVP interfaces, their contexts kept for the direction.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "core/byte_reader.hpp"

namespace tattle::decrypt {

enum class MacHash : std::uint8_t { kSha1, kSha256, kSha384 };
std::size_t mac_size(MacHash h);

class CbcOpener {
 public:
  static constexpr std::size_t kBlock = 16;  // AES

  CbcOpener();
  ~CbcOpener();
  CbcOpener(const CbcOpener&) = delete;
  CbcOpener& operator=(const CbcOpener&) = delete;

  // `key`: 16 or 32 bytes (AES-128, AES-256); `mac_key` of mac_size(mac) bytes; `iv`: TLS 1.0's
  // first IV from the key block, empty for TLS 1.1 and later. False when a size is wrong or
  // OpenSSL fails.
  bool set_keys(core::Bytes key, MacHash mac, core::Bytes mac_key, core::Bytes iv, bool encrypt_then_mac);

  // Opens one whole record (header and fragment) with its sequence number into `out` (room for
  // the fragment's size); the plaintext's size, or nothing when the MAC or the padding is wrong.
  std::optional<std::size_t> open(std::uint64_t sequence, core::Bytes record, std::span<std::uint8_t> out);

 private:
  bool mac_ok(std::uint64_t sequence, core::Bytes header, core::Bytes content, core::Bytes mac);

  struct Free {
    void operator()(void* p) const;
  };
  struct MacFree {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> cipher_;   // EVP_CIPHER_CTX
  std::unique_ptr<void, MacFree> hmac_;  // EVP_MAC_CTX, keyed
  std::size_t mac_size_ = 0;
  bool chained_iv_ = false;  // TLS 1.0
  std::array<std::uint8_t, kBlock> iv_{};
  bool encrypt_then_mac_ = false;
  bool keyed_ = false;
};

}  // namespace tattle::decrypt
