// Short text in a fixed buffer. Reports format addresses and times for every flow; building them
// here instead of in std::strings keeps that free of allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tattle::core {

template <std::size_t N>
class FixedText {
 public:
  [[nodiscard]] std::string_view view() const { return {buf_.data(), size_}; }
  // Where writing starts; `finish` takes the end of what was written (at most N chars).
  [[nodiscard]] char* begin() { return buf_.data(); }
  void finish(const char* end) { size_ = static_cast<std::size_t>(end - buf_.data()); }

 private:
  std::array<char, N> buf_;
  std::size_t size_ = 0;
};

// `v` as exactly `width` decimal digits, leading zeros included, at `out`; returns the end. Times
// and durations are written so by the hundred thousand: cheaper than a format call.
inline char* put_digits(char* out, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i, v /= 10) out[i] = static_cast<char>('0' + v % 10);
  return out + width;
}

}  // namespace tattle::core
