#include "decrypt/cbc_record.hpp"

#include <algorithm>

#include <openssl/core_names.h>
#include <openssl/evp.h>

namespace tattle::decrypt {

namespace {

constexpr std::size_t kHeader = 5;

EVP_CIPHER_CTX* as_cipher(void* p) { return static_cast<EVP_CIPHER_CTX*>(p); }
EVP_MAC_CTX* as_mac(void* p) { return static_cast<EVP_MAC_CTX*>(p); }

}  // namespace

std::size_t mac_size(MacHash h) {
  switch (h) {
    case MacHash::kSha1: return 20;
    case MacHash::kSha256: return 32;
    case MacHash::kSha384: return 48;
  }
  return 0;
}

void CbcOpener::Free::operator()(void* p) const { EVP_CIPHER_CTX_free(as_cipher(p)); }
void CbcOpener::MacFree::operator()(void* p) const { EVP_MAC_CTX_free(as_mac(p)); }

CbcOpener::CbcOpener() : cipher_(EVP_CIPHER_CTX_new()) {}
CbcOpener::~CbcOpener() = default;

bool CbcOpener::set_keys(core::Bytes key, MacHash mac, core::Bytes mac_key, core::Bytes iv, bool encrypt_then_mac) {
  keyed_ = false;
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  const EVP_CIPHER* c = key.size() == 16 ? aes128 : key.size() == 32 ? aes256 : nullptr;
  if (!cipher_ || c == nullptr || hmac == nullptr || mac_key.size() != mac_size(mac) ||
      (!iv.empty() && iv.size() != kBlock))
    return false;
  if (EVP_DecryptInit_ex2(as_cipher(cipher_.get()), c, key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(as_cipher(cipher_.get()), 0) != 1)
    return false;
  hmac_.reset(EVP_MAC_CTX_new(hmac));
  char sha1[] = "SHA1", sha256[] = "SHA256", sha384[] = "SHA384";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       mac == MacHash::kSha1 ? sha1 : mac == MacHash::kSha256 ? sha256 : sha384, 0),
      OSSL_PARAM_construct_end(),
  };
  if (!hmac_ || EVP_MAC_init(as_mac(hmac_.get()), mac_key.data(), mac_key.size(), params) != 1) return false;
  mac_size_ = mac_size(mac);
  chained_iv_ = !iv.empty();
  if (chained_iv_) std::copy(iv.begin(), iv.end(), iv_.begin());
  encrypt_then_mac_ = encrypt_then_mac;
  keyed_ = true;
  return true;
}

// HMAC(seq_num + type + version + length + content) (RFC 5246 §6.2.3.1), the key set once and
// kept by the context across records.
bool CbcOpener::mac_ok(std::uint64_t sequence, core::Bytes header, core::Bytes content, core::Bytes mac) {
  std::array<std::uint8_t, 13> pseudo{};
  for (int i = 0; i < 8; ++i) pseudo[7 - i] = static_cast<std::uint8_t>(sequence >> (8 * i));
  pseudo[8] = header[0];
  pseudo[9] = header[1];
  pseudo[10] = header[2];
  pseudo[11] = static_cast<std::uint8_t>(content.size() >> 8);
  pseudo[12] = static_cast<std::uint8_t>(content.size());
  std::array<std::uint8_t, 64> computed{};
  std::size_t n = 0;
  EVP_MAC_CTX* const ctx = as_mac(hmac_.get());
  return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 && EVP_MAC_update(ctx, pseudo.data(), pseudo.size()) == 1 &&
         EVP_MAC_update(ctx, content.data(), content.size()) == 1 &&
         EVP_MAC_final(ctx, computed.data(), &n, computed.size()) == 1 && n == mac.size() &&
         std::equal(mac.begin(), mac.end(), computed.begin());
}

std::optional<std::size_t> CbcOpener::open(std::uint64_t sequence, core::Bytes record, std::span<std::uint8_t> out) {
  if (!keyed_ || record.size() < kHeader) return std::nullopt;
  const core::Bytes header = record.first(kHeader);
  core::Bytes fragment = record.subspan(kHeader);
  if (out.size() < fragment.size() || fragment.size() > (std::size_t{1} << 20)) return std::nullopt;
  if (encrypt_then_mac_) {  // the MAC covers the IV and ciphertext as sent
    if (fragment.size() < mac_size_) return std::nullopt;
    const core::Bytes sent = fragment.first(fragment.size() - mac_size_);
    if (!mac_ok(sequence, header, sent, fragment.last(mac_size_))) return std::nullopt;
    fragment = sent;
  }
  std::array<std::uint8_t, kBlock> iv = iv_;
  if (!chained_iv_) {  // TLS 1.1 and later: the record's own IV first
    if (fragment.size() < kBlock) return std::nullopt;
    std::copy_n(fragment.begin(), kBlock, iv.begin());
    fragment = fragment.subspan(kBlock);
  }
  if (fragment.empty() || fragment.size() % kBlock != 0) return std::nullopt;
  if (chained_iv_) std::copy(fragment.end() - kBlock, fragment.end(), iv_.begin());  // the next record's IV
  EVP_CIPHER_CTX* const ctx = as_cipher(cipher_.get());
  int n = 0;
  if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, iv.data(), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx, out.data(), &n, fragment.data(), static_cast<int>(fragment.size())) != 1 ||
      static_cast<std::size_t>(n) != fragment.size())
    return std::nullopt;
  // Padding: its length byte last, and that many bytes before it of the same value.
  const std::size_t size = fragment.size();
  const std::size_t pad = out[size - 1];
  const std::size_t tail = pad + 1 + (encrypt_then_mac_ ? 0 : mac_size_);
  if (tail > size) return std::nullopt;
  for (std::size_t i = size - pad - 1; i < size - 1; ++i)
    if (out[i] != pad) return std::nullopt;
  const std::size_t content = size - tail;
  if (!encrypt_then_mac_ &&
      !mac_ok(sequence, header, core::Bytes(out.data(), content), core::Bytes(out.data() + content, mac_size_)))
    return std::nullopt;
  return content;
}

}  // namespace tattle::decrypt
