// Checking untrusted text for the bytes a format must escape, eight bytes at a time: report
// strings (JSON) and DNS labels (zone-file text) are nearly always plain, and checking them byte
// by byte was a sizeable part of writing a report and reading a DNS message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tattle::core {

// True when every byte of `s` is printable ASCII from `lo` (0x20 or 0x21) to 0x7e and is
// neither `a` nor `b` (which must not be '0'). Hand-written with the classic "has a byte below n" bit tricks (no SIMD
// library in Debian does this small a job); exact, as a test checks for every byte value.
inline bool printable_without(std::string_view s, unsigned char lo, char a, char b) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const std::uint64_t below = kOnes * lo;
  const std::uint64_t aa = kOnes * static_cast<unsigned char>(a);
  const std::uint64_t bb = kOnes * static_cast<unsigned char>(b);
  const auto word_ok = [&](std::uint64_t w) {
    const std::uint64_t low = (w - below) & ~w & kHighs;    // a byte below `lo`
    const std::uint64_t high = ((w + kOnes) | w) & kHighs;  // a byte of 0x7f or above
    return (low | high | has_zero(w ^ aa) | has_zero(w ^ bb)) == 0;
  };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (!word_ok(w)) return false;
  }
  if (i == s.size()) return true;
  // The last few bytes in a word of their own, filled up with a byte that always passes ('0').
  std::uint64_t w = kOnes * '0';
  std::memcpy(&w, s.data() + i, s.size() - i);
  return word_ok(w);
}

}  // namespace tattle::core
