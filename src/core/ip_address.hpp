// IPv4/IPv6 addresses and transport endpoints as plain values: cheap to copy, hash and compare.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/fixed_text.hpp"

namespace tattle::core {

struct IpAddress {
  // IPv4 uses the first 4 bytes; the rest stay zero so that equality is a plain byte compare.
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t version = 0;  // 4 or 6; 0 for "no address"

  static IpAddress v4(std::span<const std::uint8_t, 4> b) {
    IpAddress a;
    std::memcpy(a.bytes.data(), b.data(), 4);
    a.version = 4;
    return a;
  }
  static IpAddress v6(std::span<const std::uint8_t, 16> b) {
    IpAddress a;
    std::memcpy(a.bytes.data(), b.data(), 16);
    a.version = 6;
    return a;
  }
  // Parses dotted-quad or RFC 4291 text; version 0 when it is neither.
  static IpAddress parse(const std::string& text);

  // Compared as two 64-bit words: equality is on every packet's flow lookup.
  bool operator==(const IpAddress& o) const noexcept {
    return word(0) == o.word(0) && word(1) == o.word(1) && version == o.version;
  }
  std::strong_ordering operator<=>(const IpAddress& o) const noexcept {
    // Byte order (big-endian words), as a comparison of the byte arrays would give.
    if (auto c = be_word(0) <=> o.be_word(0); c != 0) return c;
    if (auto c = be_word(1) <=> o.be_word(1); c != 0) return c;
    return version <=> o.version;
  }

  [[nodiscard]] std::uint64_t word(int i) const noexcept {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + 8 * i, 8);
    return w;
  }
  [[nodiscard]] std::uint64_t be_word(int i) const noexcept {
    std::uint64_t w = 0;
    for (int k = 0; k < 8; ++k) w = w << 8 | bytes[static_cast<std::size_t>(8 * i + k)];
    return w;
  }

  template <class H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(H::combine_contiguous(std::move(h), a.bytes.data(), a.bytes.size()), a.version);
  }
};

struct Endpoint {
  IpAddress addr;
  std::uint16_t port = 0;

  auto operator<=>(const Endpoint&) const = default;
  bool operator==(const Endpoint&) const = default;

  template <class H>
  friend H AbslHashValue(H h, const Endpoint& e) {
    return H::combine(std::move(h), e.addr, e.port);
  }
};

// Longest texts: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" cannot occur (only the
// ::/96 and ::ffff:0:0/96 prefixes are written with a dotted tail) but is the usual bound.
inline constexpr std::size_t kAddressTextMax = 45;
inline constexpr std::size_t kEndpointTextMax = kAddressTextMax + 8;  // "[" "]:" and 5 digits

// "192.0.2.1" or "2001:db8::1": the text glibc's inet_ntop gives (RFC 5952, with the
// dotted tail for IPv4-compatible and IPv4-mapped addresses), which tshark prints too.
FixedText<kAddressTextMax> text(const IpAddress& a);
// "192.0.2.1:443" or "[2001:db8::1]:443".
FixedText<kEndpointTextMax> text(const Endpoint& e);
// The same at `out`, with the address's text given (from a cache, say); returns the end.
char* put_endpoint(char* out, const Endpoint& e, std::string_view address);
std::string to_string(const IpAddress& a);
std::string to_string(const Endpoint& e);

}  // namespace tattle::core
