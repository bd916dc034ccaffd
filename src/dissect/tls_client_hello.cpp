#include "dissect/tls_client_hello.hpp"

#include <algorithm>

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

// Lowercase hex, `digits` wide: by hand, as format strings cost more than the hashing here.
void put_hex(std::string& out, unsigned v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 0xf]);
}

// First 12 hex digits of the SHA-256 of `text`; twelve zeros for an empty list (JA4).
std::string hash12(const std::string& text) {
  if (text.empty()) return "000000000000";
  // Fetched once: OpenSSL 3 looks implementations up by name, which is slow per call.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (sha256 == nullptr || EVP_Digest(text.data(), text.size(), digest, &size, sha256, nullptr) != 1)
    return "000000000000";
  std::string out;
  for (int i = 0; i < 6; ++i) put_hex(out, digest[i], 2);
  return out;
}

std::string hex_list(std::vector<std::uint16_t> values, bool sort) {
  if (sort) std::sort(values.begin(), values.end());
  std::string out;
  out.reserve(values.size() * 5);
  for (const auto v : values) {
    if (!out.empty()) out.push_back(',');
    put_hex(out, v, 4);
  }
  return out;
}

std::vector<std::uint16_t> without_grease(const std::vector<std::uint16_t>& values) {
  std::vector<std::uint16_t> out;
  for (const auto v : values)
    if (!is_grease(v)) out.push_back(v);
  return out;
}

std::string version_code(std::uint16_t v) {
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
std::string alpn_code(const ClientHello& hello) {
  if (hello.alpn.empty() || hello.alpn.front().empty()) return "00";
  const std::string& v = hello.alpn.front();
  const auto first = static_cast<unsigned char>(v.front());
  const auto last = static_cast<unsigned char>(v.back());
  if (alnum(first) && alnum(last)) return {static_cast<char>(first), static_cast<char>(last)};
  static constexpr char kHex[] = "0123456789abcdef";
  return {kHex[first >> 4], kHex[last & 0xf]};
}

}  // namespace

bool parse_client_hello(core::Bytes body, ClientHello& out) {
  out = ClientHello{};
  core::ByteReader r(body);
  out.legacy_version = r.u16be();
  r.skip(32);        // random
  r.sub_u8();        // legacy_session_id
  read_u16_list(r.sub_u16be(), out.ciphers);
  r.sub_u8();        // legacy_compression_methods
  if (!r.ok()) return false;
  if (r.remaining() == 0) return true;  // no extensions (SSL 3.0 and early TLS clients)
  core::ByteReader exts = r.sub_u16be();
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
  const std::vector<std::uint16_t> ciphers = without_grease(hello.ciphers);
  const std::vector<std::uint16_t> extensions = without_grease(hello.extensions);
  const std::vector<std::uint16_t> versions = without_grease(hello.versions);
  const std::uint16_t version =
      versions.empty() ? hello.legacy_version : *std::max_element(versions.begin(), versions.end());

  std::vector<std::uint16_t> hashed_extensions;
  for (const auto e : extensions)
    if (e != ext::kServerName && e != ext::kAlpn) hashed_extensions.push_back(e);
  std::string c_text = hex_list(hashed_extensions, true);
  const std::vector<std::uint16_t> sigalgs = without_grease(hello.sigalgs);
  if (!sigalgs.empty()) {
    c_text.push_back('_');
    c_text.append(hex_list(sigalgs, false));
  }

  const auto two_digits = [](std::size_t n) {
    n = std::min<std::size_t>(n, 99);
    return std::string{static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)};
  };
  std::string out(1, protocol);
  out += version_code(version);
  out += hello.has_sni ? 'd' : 'i';
  out += two_digits(ciphers.size());
  out += two_digits(extensions.size());
  out += alpn_code(hello);
  out += '_';
  out += hash12(hex_list(ciphers, true));
  out += '_';
  out += hash12(c_text);
  return out;
}

std::vector<std::string> offered_versions(const ClientHello& hello) {
  std::vector<std::uint16_t> versions = without_grease(hello.versions);
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
