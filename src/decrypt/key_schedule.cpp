#include "decrypt/key_schedule.hpp"

#include <array>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

namespace tattle::decrypt {

namespace {

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

// Fetched once per process; EVP algorithm objects may be shared between threads.
EVP_KDF* hkdf() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

OSSL_PARAM octets(const char* name, core::Bytes b) {
  // OpenSSL takes a non-const pointer but only reads; an empty span still needs an address.
  static std::uint8_t empty = 0;
  void* p = b.empty() ? &empty : const_cast<std::uint8_t*>(b.data());
  return OSSL_PARAM_construct_octet_string(name, p, b.size());
}

// HKDF (RFC 5869): `mode` is EVP_KDF_HKDF_MODE_EXTRACT_ONLY (`extra` is the salt) or
// EVP_KDF_HKDF_MODE_EXPAND_ONLY (`extra` is the info).
bool run_hkdf(Hash h, int mode, core::Bytes key, core::Bytes extra, std::span<std::uint8_t> out) {
  if (hkdf() == nullptr) return false;
  const std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(hkdf()));
  if (!ctx) return false;
  char sha256[] = "SHA256", sha384[] = "SHA384";
  const bool extract = mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, h == Hash::kSha384 ? sha384 : sha256, 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      octets(OSSL_KDF_PARAM_KEY, key),
      octets(extract ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO, extra),
      OSSL_PARAM_construct_end(),
  };
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
}

}  // namespace

std::size_t hash_size(Hash h) { return h == Hash::kSha384 ? 48 : 32; }

bool hkdf_extract(Hash h, core::Bytes salt, core::Bytes ikm, std::span<std::uint8_t> out) {
  return out.size() == hash_size(h) && run_hkdf(h, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, salt, out);
}

bool hkdf_expand_label(Hash h, core::Bytes secret, std::string_view label, core::Bytes context,
                       std::span<std::uint8_t> out) {
  constexpr std::string_view kPrefix = "tls13 ";
  if (kPrefix.size() + label.size() > 255 || context.size() > 255 || out.size() > 0xffff) return false;
  // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel;
  std::array<std::uint8_t, 2 + 1 + 255 + 1 + 255> info{};
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(out.size() >> 8);
  info[n++] = static_cast<std::uint8_t>(out.size());
  info[n++] = static_cast<std::uint8_t>(kPrefix.size() + label.size());
  for (const char c : kPrefix) info[n++] = static_cast<std::uint8_t>(c);
  for (const char c : label) info[n++] = static_cast<std::uint8_t>(c);
  info[n++] = static_cast<std::uint8_t>(context.size());
  for (const std::uint8_t b : context) info[n++] = b;
  return run_hkdf(h, EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, core::Bytes(info.data(), n), out);
}

bool derive_secret(Hash h, core::Bytes secret, std::string_view label, core::Bytes transcript_hash,
                   std::span<std::uint8_t> out) {
  return out.size() == hash_size(h) && hkdf_expand_label(h, secret, label, transcript_hash, out);
}

bool traffic_key_and_iv(Hash h, core::Bytes traffic_secret, std::span<std::uint8_t> out_key,
                        std::span<std::uint8_t, 12> out_iv) {
  return hkdf_expand_label(h, traffic_secret, "key", {}, out_key) &&
         hkdf_expand_label(h, traffic_secret, "iv", {}, out_iv);
}

bool tls_prf(Hash h, bool tls10, core::Bytes secret, std::string_view label, core::Bytes seed,
             std::span<std::uint8_t> out) {
  static EVP_KDF* const prf = EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr);
  if (prf == nullptr || label.size() + seed.size() > 512) return false;
  const std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(prf));
  if (!ctx) return false;
  std::array<std::uint8_t, 512> label_seed{};
  std::copy(label.begin(), label.end(), label_seed.begin());
  std::copy(seed.begin(), seed.end(), label_seed.begin() + static_cast<std::ptrdiff_t>(label.size()));
  char sha256[] = "SHA256", sha384[] = "SHA384", md5_sha1[] = "MD5-SHA1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                       tls10 ? md5_sha1 : h == Hash::kSha384 ? sha384 : sha256, 0),
      octets(OSSL_KDF_PARAM_SECRET, secret),
      octets(OSSL_KDF_PARAM_SEED, core::Bytes(label_seed.data(), label.size() + seed.size())),
      OSSL_PARAM_construct_end(),
  };
  return EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
}

bool next_traffic_secret(Hash h, core::Bytes traffic_secret, std::span<std::uint8_t> out) {
  return out.size() == hash_size(h) && hkdf_expand_label(h, traffic_secret, "traffic upd", {}, out);
}

}  // namespace tattle::decrypt
