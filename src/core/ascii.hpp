// Checking untrusted text for the bytes a format must escape, eight bytes at a time: report
// strings (JSON) and DNS labels (zone-file text) are nearly always plain, and checking them byte
// by byte was a sizeable part of writing a report and reading a DNS message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tattle::core {

// True when each of the eight bytes of `w` is printable ASCII from `lo` (0x20 or 0x21) to 0x7e
// and is neither `a` nor `b`. Hand-written with the classic "has a byte below n" bit tricks (no
// SIMD library in Debian does this small a job); exact, as a test checks for every byte value.
inline bool word_printable_without(std::uint64_t w, unsigned char lo, char a, char b) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const std::uint64_t low = (w - kOnes * lo) & ~w & kHighs;  // a byte below `lo`
  const std::uint64_t high = ((w + kOnes) | w) & kHighs;     // a byte of 0x7f or above
  return (low | high | has_zero(w ^ (kOnes * static_cast<unsigned char>(a))) |
          has_zero(w ^ (kOnes * static_cast<unsigned char>(b)))) == 0;
}

// The same for every byte of `s`.
inline bool printable_without(std::string_view s, unsigned char lo, char a, char b) {
  if (s.size() < 8) {  // short (a DNS label, mostly): byte by byte
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < lo || c > 0x7e || ch == a || ch == b) return false;
    }
    return true;
  }
  std::uint64_t w;
  for (std::size_t i = 0; i + 8 <= s.size(); i += 8) {
    std::memcpy(&w, s.data() + i, 8);
    if (!word_printable_without(w, lo, a, b)) return false;
  }
  // The last bytes, as the word that ends the text (overlapping bytes already checked).
  std::memcpy(&w, s.data() + s.size() - 8, 8);
  return word_printable_without(w, lo, a, b);
}

// `s` equals `lower` (lower case) ignoring the case of ASCII letters: HTTP's field names and
// codings (RFC 9110 §5.1, §8.4.1). Inline, as a call to absl::EqualsIgnoreCase cost more than the
// few bytes compared.
inline bool equals_lower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c) != lower[i]) return false;
  }
  return true;
}

}  // namespace tattle::core
