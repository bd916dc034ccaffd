#include "decrypt/tls12_session.hpp"

#include <algorithm>

namespace tattle::decrypt {

namespace {

using content_type::kApplicationData;
using content_type::kChangeCipherSpec;
constexpr std::size_t kExplicitNonce = 8;  // AES-GCM's per-record part
constexpr std::uint16_t kTls10 = 0x0301;
constexpr std::uint16_t kTls12 = 0x0303;

struct Suite {
  bool cbc = false;
  Aead aead = Aead::kAes128Gcm;  // AEAD suites
  std::size_t key = 0;           // CBC suites: AES-128 or AES-256
  MacHash mac = MacHash::kSha1;  // CBC suites
  Hash prf = Hash::kSha256;      // TLS 1.2's PRF hash
};

// The suites read here, by IANA's TLS Cipher Suites registry: AEAD ones, and AES-CBC with HMAC
// for RSA, DH and ECDH key exchanges.
std::optional<Suite> suite_of(std::uint16_t id) {
  switch (id) {
    case 0x009C: case 0x009E: case 0xC02B: case 0xC02F: return Suite{.aead = Aead::kAes128Gcm};
    case 0x009D: case 0x009F: case 0xC02C: case 0xC030: return Suite{.aead = Aead::kAes256Gcm, .prf = Hash::kSha384};
    case 0xCCA8: case 0xCCA9: case 0xCCAA: return Suite{.aead = Aead::kChaCha20Poly1305};
    // AES-128-CCM (RFC 6655, RFC 7251): nonces as GCM's.
    case 0xC09C: case 0xC09E: case 0xC0AC: return Suite{.aead = Aead::kAes128Ccm};
    case 0xC0A0: case 0xC0A2: case 0xC0AE: return Suite{.aead = Aead::kAes128Ccm8};
    case 0x002F: case 0x0032: case 0x0033: case 0xC004: case 0xC009: case 0xC00E: case 0xC013:
      return Suite{.cbc = true, .key = 16, .mac = MacHash::kSha1};
    case 0x0035: case 0x0038: case 0x0039: case 0xC005: case 0xC00A: case 0xC00F: case 0xC014:
      return Suite{.cbc = true, .key = 32, .mac = MacHash::kSha1};
    case 0x003C: case 0x0040: case 0x0067: case 0xC023: case 0xC025: case 0xC027: case 0xC029:
      return Suite{.cbc = true, .key = 16, .mac = MacHash::kSha256};
    case 0x003D: case 0x006A: case 0x006B:
      return Suite{.cbc = true, .key = 32, .mac = MacHash::kSha256};
    case 0xC024: case 0xC026: case 0xC028: case 0xC02A:
      return Suite{.cbc = true, .key = 32, .mac = MacHash::kSha384, .prf = Hash::kSha384};
    default: return std::nullopt;
  }
}

}  // namespace

Tls12Session::Start Tls12Session::start(std::uint16_t version, std::uint16_t cipher_suite, bool encrypt_then_mac,
                                        core::Bytes master_secret, core::Bytes client_random,
                                        core::Bytes server_random) {
  const auto suite = suite_of(cipher_suite);
  // AEAD suites exist from TLS 1.2 on; SHA-256 MACs too.
  if (!suite || (version != kTls12 && (!suite->cbc || suite->mac != MacHash::kSha1))) return Start::kUnsupportedSuite;
  if (master_secret.size() != 48 || client_random.size() != 32 || server_random.size() != 32) return Start::kFailed;
  cbc_ = suite->cbc;
  chacha_ = !cbc_ && suite->aead == Aead::kChaCha20Poly1305;
  // The key block (RFC 5246 §6.3): MAC keys (CBC), write keys, then IVs (AEAD's salts or IVs;
  // TLS 1.0's first CBC IVs; none for TLS 1.1 and 1.2's CBC).
  const std::size_t mac = cbc_ ? mac_size(suite->mac) : 0;
  const std::size_t key = cbc_ ? suite->key : key_size(suite->aead);
  const std::size_t iv = cbc_ ? (version == kTls10 ? CbcOpener::kBlock : 0) : chacha_ ? 12 : 4;
  std::array<std::uint8_t, 2 * 48 + 2 * 32 + 2 * 16> block{};
  std::array<std::uint8_t, 64> seed{};
  std::copy(server_random.begin(), server_random.end(), seed.begin());
  std::copy(client_random.begin(), client_random.end(), seed.begin() + 32);
  if (!tls_prf(suite->prf, version != kTls12, master_secret, "key expansion", seed,
               std::span(block.data(), 2 * (mac + key + iv))))
    return Start::kFailed;
  for (std::size_t side = 0; side < 2; ++side) {
    Side& s = sides_[side];
    const core::Bytes mac_key(block.data() + side * mac, mac);
    const core::Bytes write_key(block.data() + 2 * mac + side * key, key);
    const core::Bytes write_iv(block.data() + 2 * (mac + key) + side * iv, iv);
    if (cbc_) {
      if (!s.cbc.set_keys(write_key, suite->mac, mac_key, write_iv, encrypt_then_mac)) return Start::kFailed;
    } else {
      std::copy(write_iv.begin(), write_iv.end(), s.iv.begin());
      if (!s.opener.set_keys(suite->aead, write_key, s.iv)) return Start::kFailed;
    }
  }
  return Start::kStarted;
}

bool Tls12Session::open_aead(Side& s, core::Bytes record) {
  const std::size_t tag = s.opener.tag_size();
  const std::size_t overhead = (chacha_ ? 0 : kExplicitNonce) + tag;
  if (record.size() < kRecordHeader + overhead) return false;
  const core::Bytes body = record.subspan(kRecordHeader);
  plain_size_ = body.size() - overhead;
  std::array<std::uint8_t, 12> nonce = chacha_ ? record_nonce(s.iv, s.sequence) : s.iv;
  if (!chacha_) std::copy_n(body.begin(), kExplicitNonce, nonce.begin() + 4);  // after the 4-byte salt
  std::array<std::uint8_t, 13> aad{};
  for (int i = 0; i < 8; ++i) aad[7 - i] = static_cast<std::uint8_t>(s.sequence >> (8 * i));
  aad[8] = record[0];
  aad[9] = record[1];
  aad[10] = record[2];
  aad[11] = static_cast<std::uint8_t>(plain_size_ >> 8);
  aad[12] = static_cast<std::uint8_t>(plain_size_);
  plain_.resize(plain_size_);
  return s.opener.open_aead(nonce, aad, body.subspan(chacha_ ? 0 : kExplicitNonce, plain_size_), body.last(tag),
                            plain_);
}

TlsSession::Result Tls12Session::on_record(bool from_client, core::Bytes record,
                                           absl::FunctionRef<void(core::Bytes)> app_data) {
  Side& s = sides_[from_client ? 0 : 1];
  if (s.failed || record.size() < kRecordHeader) return Result::kFailed;
  if (!s.encrypted) {
    if (record[0] == kChangeCipherSpec) s.encrypted = true;
    return Result::kSkipped;  // the handshake in the clear, up to and with the CCS
  }
  bool opened;
  if (cbc_) {
    plain_.resize(record.size());
    const auto size = s.cbc.open(s.sequence, record, plain_);
    opened = size.has_value();
    plain_size_ = size.value_or(0);
  } else {
    opened = open_aead(s, record);
  }
  ++s.sequence;
  if (!opened) {
    s.failed = true;
    return Result::kFailed;
  }
  ++opened_;
  if (record[0] == kApplicationData) app_data(core::Bytes(plain_.data(), plain_size_));
  return Result::kOpened;
}

}  // namespace tattle::decrypt
