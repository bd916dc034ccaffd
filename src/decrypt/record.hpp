// TLS 1.3 record protection (RFC 8446 §5.2-5.3), one direction of a connection: each record's
// AEAD nonce is the traffic IV XOR its 64-bit sequence number, its header the additional data,
// and its true content type the last non-zero byte of the plaintext. AES-128-GCM, AES-256-GCM,
// ChaCha20-Poly1305 and AES-128-CCM (16- and 8-byte tags) through OpenSSL 3's EVP interface, one
// cipher context kept for the direction so that a record costs no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "core/byte_reader.hpp"

namespace tattle::decrypt {

enum class Aead : std::uint8_t { kAes128Gcm, kAes256Gcm, kChaCha20Poly1305, kAes128Ccm, kAes128Ccm8 };
std::size_t key_size(Aead a);
std::size_t tag_size(Aead a);  // 16 but for CCM_8's 8
// The AEAD of a TLS 1.3 cipher suite (RFC 8446 §B.4), or nothing for suites not read here.
std::optional<Aead> tls13_aead(std::uint16_t cipher_suite);

inline constexpr std::size_t kRecordHeader = 5;
inline constexpr std::size_t kAeadTag = 16;  // the tag of every AEAD here but CCM_8

// ContentType (RFC 8446 §5.1, RFC 5246 §6.2.1).
namespace content_type {
inline constexpr std::uint8_t kChangeCipherSpec = 20;
inline constexpr std::uint8_t kAlert = 21;
inline constexpr std::uint8_t kHandshake = 22;
inline constexpr std::uint8_t kApplicationData = 23;
}  // namespace content_type

// A record's nonce: the IV with the 64-bit sequence number XORed into its last eight bytes
// (RFC 8446 §5.3; TLS 1.2's ChaCha20-Poly1305, RFC 7905 §2).
inline std::array<std::uint8_t, 12> record_nonce(const std::array<std::uint8_t, 12>& iv, std::uint64_t sequence) {
  std::array<std::uint8_t, 12> nonce = iv;
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
  return nonce;
}

class RecordOpener {
 public:
  RecordOpener();
  ~RecordOpener();
  RecordOpener(const RecordOpener&) = delete;
  RecordOpener& operator=(const RecordOpener&) = delete;

  // Keys for the records that follow, from sequence number 0 (a new traffic secret: the
  // handshake's, the application's, or the next after a KeyUpdate). False if `key` is not of
  // key_size(aead) bytes or OpenSSL fails.
  bool set_keys(Aead aead, core::Bytes key, std::span<const std::uint8_t, 12> iv);

  struct Opened {
    std::uint8_t content_type = 0;  // the inner type: handshake, application_data, alert
    std::size_t size = 0;           // plaintext bytes at the start of `out`, padding removed
  };
  // Opens one whole record (header and encrypted_record) into `out`, which needs room for the
  // encrypted_record less its tag. Nothing when the record is too short, its tag does not verify,
  // or it is all padding: the caller counts it and marks the stream. The sequence number moves
  // on either way, as the sender's did.
  std::optional<Opened> open(core::Bytes record, std::span<std::uint8_t> out);

  // The AEAD alone, for records framed otherwise (TLS 1.2 builds its own nonce and additional
  // data): the plaintext of `ciphertext` into `out` (room for as many bytes), false if `tag` (of
  // tag_size() bytes) does not verify. The sequence number is left alone.
  bool open_aead(std::span<const std::uint8_t, 12> nonce, core::Bytes aad, core::Bytes ciphertext, core::Bytes tag,
                 std::span<std::uint8_t> out);

  [[nodiscard]] std::uint64_t sequence() const { return sequence_; }
  [[nodiscard]] std::size_t tag_size() const { return tag_size_; }

 private:
  struct CtxFree {
    void operator()(void* ctx) const;
  };
  std::unique_ptr<void, CtxFree> ctx_;  // EVP_CIPHER_CTX, kept out of this header
  std::array<std::uint8_t, 12> iv_{};
  // CCM takes its key again with each record's nonce and tag (OpenSSL's CCM context is one-shot).
  std::array<std::uint8_t, 16> ccm_key_{};
  bool ccm_ = false;
  std::size_t tag_size_ = kAeadTag;
  std::uint64_t sequence_ = 0;
  bool keyed_ = false;
};

}  // namespace tattle::decrypt
