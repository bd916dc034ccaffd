// The TLS 1.3 key schedule (RFC 8446 §7) as decryption needs it: HKDF-Extract, HKDF-Expand-Label
// and Derive-Secret over SHA-256 or SHA-384, a record protection key and IV from a traffic
// secret (§7.3), and the next traffic secret after a KeyUpdate (§7.2). QUIC derives its packet
// protection keys (RFC 9001 §5) with the same functions and labels of its own. All through
// OpenSSL 3's EVP_KDF "HKDF"; nothing hand-rolled but the HkdfLabel encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/byte_reader.hpp"

namespace tattle::decrypt {

// The hashes of TLS 1.3's cipher suites: SHA-384 for TLS_AES_256_GCM_SHA384, SHA-256 for the
// others.
enum class Hash : std::uint8_t { kSha256, kSha384 };
std::size_t hash_size(Hash h);

// HKDF-Extract(salt, ikm) (RFC 5869 §2.2); `out` is hash_size(h) bytes. False only if OpenSSL
// fails (or `out` is of another size).
bool hkdf_extract(Hash h, core::Bytes salt, core::Bytes ikm, std::span<std::uint8_t> out);

// HKDF-Expand-Label(secret, label, context, out.size()) (RFC 8446 §7.1): `label` without its
// "tls13 " prefix, at most 249 bytes; `context` at most 255 bytes.
bool hkdf_expand_label(Hash h, core::Bytes secret, std::string_view label, core::Bytes context,
                       std::span<std::uint8_t> out);

// Derive-Secret(secret, label, messages) given the transcript hash of the messages; `out` is
// hash_size(h) bytes.
bool derive_secret(Hash h, core::Bytes secret, std::string_view label, core::Bytes transcript_hash,
                   std::span<std::uint8_t> out);

// A record protection key of out_key.size() bytes (16 or 32) and a 12-byte IV from a traffic
// secret (RFC 8446 §7.3).
bool traffic_key_and_iv(Hash h, core::Bytes traffic_secret, std::span<std::uint8_t> out_key,
                        std::span<std::uint8_t, 12> out_iv);

// The PRF of TLS 1.2 (RFC 5246 §5: P_hash(secret, label + seed) with the suite's hash, SHA-256 or
// SHA-384 for the *_SHA384 suites) or, with `tls10`, of TLS 1.0 and 1.1 (RFC 2246 §5: P_MD5 XOR
// P_SHA-1 over the secret's halves), for out.size() bytes.
bool tls_prf(Hash h, bool tls10, core::Bytes secret, std::string_view label, core::Bytes seed,
             std::span<std::uint8_t> out);

// application_traffic_secret_N+1 from _N (RFC 8446 §7.2); `out` is hash_size(h) bytes.
bool next_traffic_secret(Hash h, core::Bytes traffic_secret, std::span<std::uint8_t> out);

}  // namespace tattle::decrypt
