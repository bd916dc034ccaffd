#include "decrypt/record.hpp"

#include <openssl/evp.h>

namespace tattle::decrypt {

namespace {

// Fetched once per process; EVP algorithm objects may be shared between threads.
const EVP_CIPHER* cipher(Aead a) {
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  static EVP_CIPHER* const ccm = EVP_CIPHER_fetch(nullptr, "AES-128-CCM", nullptr);
  switch (a) {
    case Aead::kAes128Gcm: return aes128;
    case Aead::kAes256Gcm: return aes256;
    case Aead::kChaCha20Poly1305: return chacha;
    case Aead::kAes128Ccm:
    case Aead::kAes128Ccm8: return ccm;
  }
  return nullptr;
}

EVP_CIPHER_CTX* as_ctx(void* p) { return static_cast<EVP_CIPHER_CTX*>(p); }

}  // namespace

std::size_t key_size(Aead a) {
  return a == Aead::kAes256Gcm || a == Aead::kChaCha20Poly1305 ? 32 : 16;
}

std::size_t tag_size(Aead a) { return a == Aead::kAes128Ccm8 ? 8 : kAeadTag; }

std::optional<Aead> tls13_aead(std::uint16_t cipher_suite) {
  switch (cipher_suite) {
    case 0x1301: return Aead::kAes128Gcm;         // TLS_AES_128_GCM_SHA256
    case 0x1302: return Aead::kAes256Gcm;         // TLS_AES_256_GCM_SHA384
    case 0x1303: return Aead::kChaCha20Poly1305;  // TLS_CHACHA20_POLY1305_SHA256
    case 0x1304: return Aead::kAes128Ccm;         // TLS_AES_128_CCM_SHA256
    case 0x1305: return Aead::kAes128Ccm8;        // TLS_AES_128_CCM_8_SHA256
    default: return std::nullopt;
  }
}

bool RecordOpener::open_aead(std::span<const std::uint8_t, 12> nonce, core::Bytes aad, core::Bytes ciphertext,
                             core::Bytes tag, std::span<std::uint8_t> out) {
  if (!keyed_ || out.size() < ciphertext.size() || ciphertext.size() > (std::size_t{1} << 30) ||
      tag.size() != tag_size_)
    return false;
  EVP_CIPHER_CTX* const ctx = as_ctx(ctx_.get());
  int n = 0, final_n = 0;
  if (ccm_)  // the tag, then key and nonce, then the length, the additional data, the text (verified)
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag_size_),
                               const_cast<std::uint8_t*>(tag.data())) == 1 &&
           EVP_DecryptInit_ex2(ctx, nullptr, ccm_key_.data(), nonce.data(), nullptr) == 1 &&
           EVP_DecryptUpdate(ctx, nullptr, &n, nullptr, static_cast<int>(ciphertext.size())) == 1 &&
           EVP_DecryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1 &&
           EVP_DecryptUpdate(ctx, out.data(), &n, ciphertext.data(), static_cast<int>(ciphertext.size())) == 1;
  return EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) == 1 &&
         EVP_DecryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1 &&
         EVP_DecryptUpdate(ctx, out.data(), &n, ciphertext.data(), static_cast<int>(ciphertext.size())) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTag),
                             const_cast<std::uint8_t*>(tag.data())) == 1 &&
         EVP_DecryptFinal_ex(ctx, out.data() + n, &final_n) == 1;
}

void RecordOpener::CtxFree::operator()(void* ctx) const { EVP_CIPHER_CTX_free(as_ctx(ctx)); }

RecordOpener::RecordOpener() : ctx_(EVP_CIPHER_CTX_new()) {}
RecordOpener::~RecordOpener() = default;

bool RecordOpener::set_keys(Aead aead, core::Bytes key, std::span<const std::uint8_t, 12> iv) {
  keyed_ = false;
  sequence_ = 0;
  const EVP_CIPHER* c = cipher(aead);
  if (!ctx_ || c == nullptr || key.size() != key_size(aead)) return false;
  ccm_ = aead == Aead::kAes128Ccm || aead == Aead::kAes128Ccm8;
  tag_size_ = decrypt::tag_size(aead);
  if (ccm_) {
    std::copy(key.begin(), key.end(), ccm_key_.begin());
    if (EVP_DecryptInit_ex2(as_ctx(ctx_.get()), c, nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(as_ctx(ctx_.get()), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1)
      return false;
  } else if (EVP_DecryptInit_ex2(as_ctx(ctx_.get()), c, key.data(), nullptr, nullptr) != 1) {
    return false;  // (the key now; each record gives its own nonce)
  }
  std::copy(iv.begin(), iv.end(), iv_.begin());
  keyed_ = true;
  return true;
}

std::optional<RecordOpener::Opened> RecordOpener::open(core::Bytes record, std::span<std::uint8_t> out) {
  if (!keyed_) return std::nullopt;
  const std::uint64_t seq = sequence_++;
  if (record.size() < kRecordHeader + tag_size_) return std::nullopt;
  const core::Bytes ciphertext = record.subspan(kRecordHeader, record.size() - kRecordHeader - tag_size_);
  const core::Bytes tag = record.last(tag_size_);
  if (!open_aead(record_nonce(iv_, seq), record.first(kRecordHeader), ciphertext, tag, out)) return std::nullopt;
  // TLSInnerPlaintext: content, the type, then zeros (RFC 8446 §5.2).
  std::size_t size = ciphertext.size();
  while (size > 0 && out[size - 1] == 0) --size;
  if (size == 0) return std::nullopt;
  return Opened{out[size - 1], size - 1};
}

}  // namespace tattle::decrypt
