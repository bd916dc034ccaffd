#include "dissect/tls_client_hello.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <string_view>

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>
#include <fmt/format.h>
#include <openssl/evp.h>

namespace tattle::dissect {

namespace {

namespace ext {
constexpr std::uint16_t kServerName = 0x0000;
constexpr std::uint16_t kSignatureAlgorithms = 0x000d;
constexpr std::uint16_t kAlpn = 0x0010;
constexpr std::uint16_t kSupportedVersions = 0x002b;
}  // namespace ext

void read_u16_list(core::ByteReader r, std::vector<std::uint16_t>& out) {
  out.reserve(out.size() + r.remaining() / 2);  // one allocation, bounded by the bytes there
  while (r.remaining() >= 2) out.push_back(r.u16be());
}

void read_extension(std::uint16_t type, core::ByteReader data, ClientHello& out) {
  switch (type) {
    case ext::kServerName: {
      out.has_sni = true;
      core::ByteReader list = data.sub_u16be();
      while (list.ok() && list.remaining() > 0) {
        const std::uint8_t name_type = list.u8();
        const core::Bytes name = list.sub_u16be().rest();
        if (!list.ok()) break;
        if (name_type == 0) {  // host_name
          out.sni.assign(name.begin(), name.end());
          break;
        }
      }
      break;
    }
    case ext::kAlpn: {
      core::ByteReader list = data.sub_u16be();
      while (list.ok() && list.remaining() > 0) {
        const core::Bytes name = list.sub_u8().rest();
        if (!list.ok()) break;
        out.alpn.emplace_back(name.begin(), name.end());
      }
      break;
    }
    case ext::kSupportedVersions:
      read_u16_list(data.sub_u8(), out.versions);
      break;
    case ext::kSignatureAlgorithms:
      read_u16_list(data.sub_u16be(), out.sigalgs);
      break;
    default:
      break;
  }
}

// JA4's lists and their text, held inline: a ClientHello offers a few dozen values.
using Values = absl::InlinedVector<std::uint16_t, 64>;
using Text = absl::InlinedVector<char, 320>;

// Lowercase hex, `digits` wide: by hand, as format strings cost more than the hashing here.
void put_hex(Text& out, unsigned v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 0xf]);
}

// The first 12 hex digits of the SHA-256 of `text` (JA4's truncated hash).
std::array<char, 12> hash12(const Text& text) {
  std::array<char, 12> out;
  out.fill('0');
  // Fetched once: OpenSSL 3 looks implementations up by name, which is slow per call. The
  // context is kept too (one per thread), rather than allocated for every digest.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (sha256 == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), text.data(), text.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1)
    return out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < 6; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

// hash12 appended to `out`; twelve zeros for an empty list (JA4).
void put_hash12(std::string& out, const Text& text) {
  if (text.empty()) {
    out.append(12, '0');
    return;
  }
  const std::array<char, 12> h = hash12(text);
  out.append(h.data(), h.size());
}

void put_hex_list(Text& out, Values values, bool sort) {
  if (sort) std::sort(values.begin(), values.end());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    put_hex(out, values[i], 4);
  }
}

Values without_grease(const std::vector<std::uint16_t>& values) {
  Values out;
  for (const auto v : values)
    if (!is_grease(v)) out.push_back(v);
  return out;
}

std::string_view version_code(std::uint16_t v) {
  switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
  }
}

bool alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// First and last character of the first ALPN value; for values that do not begin and end in
// ASCII letters or digits, the first and last hex digit of the value's bytes ("00": no ALPN).
void put_alpn_code(std::string& out, const ClientHello& hello) {
  if (hello.alpn.empty() || hello.alpn.front().empty()) {
    out.append("00");
    return;
  }
  const std::string& v = hello.alpn.front();
  const auto first = static_cast<unsigned char>(v.front());
  const auto last = static_cast<unsigned char>(v.back());
  if (alnum(first) && alnum(last)) {
    out.push_back(static_cast<char>(first));
    out.push_back(static_cast<char>(last));
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back(kHex[first >> 4]);
  out.push_back(kHex[last & 0xf]);
}

std::string compute_ja4(const ClientHello& hello, char protocol) {
  const Values ciphers = without_grease(hello.ciphers);
  const Values extensions = without_grease(hello.extensions);
  const Values versions = without_grease(hello.versions);
  const std::uint16_t version =
      versions.empty() ? hello.legacy_version : *std::max_element(versions.begin(), versions.end());

  Values hashed_extensions;
  for (const auto e : extensions)
    if (e != ext::kServerName && e != ext::kAlpn) hashed_extensions.push_back(e);
  Text c_text;
  put_hex_list(c_text, hashed_extensions, true);
  const Values sigalgs = without_grease(hello.sigalgs);
  if (!sigalgs.empty()) {
    c_text.push_back('_');
    put_hex_list(c_text, sigalgs, false);
  }
  Text b_text;
  put_hex_list(b_text, ciphers, true);

  const auto two_digits = [](std::string& out, std::size_t n) {
    n = std::min<std::size_t>(n, 99);
    out.push_back(static_cast<char>('0' + n / 10));
    out.push_back(static_cast<char>('0' + n % 10));
  };
  std::string out;
  out.reserve(36);  // t13d1516h2_8daaf6152771_e5627efa2ab1
  out.push_back(protocol);
  out.append(version_code(version));
  out.push_back(hello.has_sni ? 'd' : 'i');
  two_digits(out, ciphers.size());
  two_digits(out, extensions.size());
  put_alpn_code(out, hello);
  out.push_back('_');
  put_hash12(out, b_text);
  out.push_back('_');
  put_hash12(out, c_text);
  return out;
}

// What the fingerprint reads of a ClientHello, GREASE left out (browsers pick it anew for every
// connection): equal keys make equal fingerprints.
void put_key(Text& key, const ClientHello& hello, char protocol) {
  const auto u16 = [&](std::uint16_t v) {
    key.push_back(static_cast<char>(v >> 8));
    key.push_back(static_cast<char>(v & 0xff));
  };
  key.push_back(protocol);
  key.push_back(hello.has_sni ? 'd' : 'i');
  u16(hello.legacy_version);
  // Each list behind its length, so that no two ClientHellos make the same key.
  for (const auto* list : {&hello.ciphers, &hello.extensions, &hello.versions, &hello.sigalgs}) {
    const auto n = std::count_if(list->begin(), list->end(), [](std::uint16_t v) { return !is_grease(v); });
    u16(static_cast<std::uint16_t>(n));  // a list has fewer than 2^15 values: its length is 16 bits
    for (const auto v : *list)
      if (!is_grease(v)) u16(v);
  }
  if (!hello.alpn.empty()) key.insert(key.end(), hello.alpn.front().begin(), hello.alpn.front().end());
}

}  // namespace

bool parse_client_hello(core::Bytes body, ClientHello& out) {
  out = ClientHello{};
  core::ByteReader r(body);
  out.legacy_version = r.u16be();
  if (const core::Bytes random = r.take(32); random.size() == out.random.size())
    std::copy(random.begin(), random.end(), out.random.begin());
  r.sub_u8();        // legacy_session_id
  read_u16_list(r.sub_u16be(), out.ciphers);
  r.sub_u8();        // legacy_compression_methods
  if (!r.ok()) return false;
  if (r.remaining() == 0) return true;  // no extensions (SSL 3.0 and early TLS clients)
  core::ByteReader exts = r.sub_u16be();
  out.extensions.reserve(std::min<std::size_t>(exts.remaining() / 4, 32));  // most send 10 to 20
  while (exts.ok() && exts.remaining() >= 4) {
    const std::uint16_t type = exts.u16be();
    const core::ByteReader data = exts.sub_u16be();
    if (!exts.ok()) break;
    out.extensions.push_back(type);
    read_extension(type, data, out);
  }
  return true;
}

std::string ja4(const ClientHello& hello, char protocol) {
  // An app's ClientHellos repeat connection after connection: fingerprints are remembered (per
  // thread, a bounded number) rather than computed, sorted and hashed again for every flow.
  constexpr std::size_t kRemembered = 4096;
  thread_local absl::flat_hash_map<std::string, std::string> seen;
  Text key;
  put_key(key, hello, protocol);
  const absl::string_view k(key.data(), key.size());  // Debian's abseil has its own string_view
  if (const auto it = seen.find(k); it != seen.end()) return it->second;
  if (seen.size() >= kRemembered) seen.clear();
  return seen.emplace(std::string(key.data(), key.size()), compute_ja4(hello, protocol)).first->second;
}

std::vector<std::string> offered_versions(const ClientHello& hello) {
  Values versions = without_grease(hello.versions);
  if (versions.empty()) versions.push_back(hello.legacy_version);
  std::sort(versions.rbegin(), versions.rend());
  std::vector<std::string> out;
  for (const auto v : versions) {
    if (v >= 0x0301 && v <= 0x0304) out.push_back(fmt::format("1.{}", v - 0x0301));
    else if (v == 0x0300) out.emplace_back("ssl3");
    else out.push_back(fmt::format("0x{:04x}", v));
  }
  return out;
}

}  // namespace tattle::dissect

namespace tattle::dissect {

bool parse_server_hello(core::Bytes body, ServerHello& out) {
  // SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
  static constexpr std::array<std::uint8_t, 32> kRetryRandom = {
      0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
      0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
  out = ServerHello{};
  core::ByteReader r(body);
  out.version = r.u16be();
  const core::Bytes random = r.take(32);
  out.retry = random.size() == kRetryRandom.size() && std::equal(random.begin(), random.end(), kRetryRandom.begin());
  if (random.size() == out.random.size()) std::copy(random.begin(), random.end(), out.random.begin());
  r.sub_u8();  // legacy_session_id_echo
  out.cipher_suite = r.u16be();
  r.u8();  // legacy_compression_method
  if (!r.ok()) return false;
  if (r.remaining() == 0) return true;  // no extensions: TLS 1.2 and before
  core::ByteReader exts = r.sub_u16be();
  while (exts.ok() && exts.remaining() > 0) {
    const std::uint16_t type = exts.u16be();
    core::ByteReader data = exts.sub_u16be();
    if (type == 43) {  // supported_versions: the one chosen
      const std::uint16_t chosen = data.u16be();
      if (data.ok()) out.version = chosen;
    } else if (type == 22) {
      out.encrypt_then_mac = true;
    }
  }
  return exts.ok() && r.ok();
}

}  // namespace tattle::dissect
