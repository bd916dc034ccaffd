#include "decrypt/tls12_session.hpp"

#include <algorithm>

namespace tattle::decrypt {

namespace {

using content_type::kApplicationData;
using content_type::kChangeCipherSpec;
constexpr std::size_t kExplicitNonce = 8;  // AES-GCM's per-record part

struct Suite {
  Aead aead;
  Hash prf;
};

// The AEAD suites of TLS 1.2 read here (IANA's TLS Cipher Suites registry).
std::optional<Suite> suite_of(std::uint16_t id) {
  switch (id) {
    case 0x009C: case 0x009E: case 0xC02B: case 0xC02F: return Suite{Aead::kAes128Gcm, Hash::kSha256};
    case 0x009D: case 0x009F: case 0xC02C: case 0xC030: return Suite{Aead::kAes256Gcm, Hash::kSha384};
    case 0xCCA8: case 0xCCA9: case 0xCCAA: return Suite{Aead::kChaCha20Poly1305, Hash::kSha256};
    default: return std::nullopt;
  }
}

}  // namespace

Tls12Session::Start Tls12Session::start(std::uint16_t cipher_suite, core::Bytes master_secret,
                                        core::Bytes client_random, core::Bytes server_random) {
  const auto suite = suite_of(cipher_suite);
  if (!suite) return Start::kUnsupportedSuite;
  chacha_ = suite->aead == Aead::kChaCha20Poly1305;
  const std::size_t key = key_size(suite->aead), iv = chacha_ ? 12 : 4;
  // The key block: client_write_key, server_write_key, client_write_IV, server_write_IV (AEAD
  // suites have no MAC keys).
  std::array<std::uint8_t, 2 * 32 + 2 * 12> block{};
  std::array<std::uint8_t, 64> seed{};
  if (master_secret.size() != 48 || client_random.size() != 32 || server_random.size() != 32) return Start::kFailed;
  std::copy(server_random.begin(), server_random.end(), seed.begin());
  std::copy(client_random.begin(), client_random.end(), seed.begin() + 32);
  if (!tls12_prf(suite->prf, master_secret, "key expansion", seed, std::span(block.data(), 2 * key + 2 * iv)))
    return Start::kFailed;
  for (int side = 0; side < 2; ++side) {
    Side& s = sides_[side];
    std::copy_n(block.begin() + 2 * static_cast<std::ptrdiff_t>(key) + side * static_cast<std::ptrdiff_t>(iv), iv, s.iv.begin());
    if (!s.opener.set_keys(suite->aead, core::Bytes(block.data() + side * key, key), s.iv)) return Start::kFailed;
  }
  return Start::kStarted;
}

TlsSession::Result Tls12Session::on_record(bool from_client, core::Bytes record,
                                           absl::FunctionRef<void(core::Bytes)> app_data) {
  Side& s = sides_[from_client ? 0 : 1];
  if (s.failed || record.size() < kRecordHeader) return Result::kFailed;
  if (!s.encrypted) {
    if (record[0] == kChangeCipherSpec) s.encrypted = true;
    return Result::kSkipped;  // the handshake in the clear, up to and with the CCS
  }
  const std::size_t overhead = (chacha_ ? 0 : kExplicitNonce) + kAeadTag;
  if (record.size() < kRecordHeader + overhead) {
    s.failed = true;
    return Result::kFailed;
  }
  const core::Bytes body = record.subspan(kRecordHeader);
  const std::size_t plain_size = body.size() - overhead;
  std::array<std::uint8_t, 12> nonce = chacha_ ? record_nonce(s.iv, s.sequence) : s.iv;
  if (!chacha_) std::copy_n(body.begin(), kExplicitNonce, nonce.begin() + 4);  // after the 4-byte salt
  std::array<std::uint8_t, 13> aad{};
  for (int i = 0; i < 8; ++i) aad[7 - i] = static_cast<std::uint8_t>(s.sequence >> (8 * i));
  aad[8] = record[0];
  aad[9] = record[1];
  aad[10] = record[2];
  aad[11] = static_cast<std::uint8_t>(plain_size >> 8);
  aad[12] = static_cast<std::uint8_t>(plain_size);
  ++s.sequence;
  plain_.resize(plain_size);
  if (!s.opener.open_aead(nonce, aad, body.subspan(chacha_ ? 0 : kExplicitNonce, plain_size), body.last(kAeadTag),
                          plain_)) {
    s.failed = true;
    return Result::kFailed;
  }
  ++opened_;
  if (record[0] == kApplicationData) app_data(plain_);
  return Result::kOpened;
}

}  // namespace tattle::decrypt
