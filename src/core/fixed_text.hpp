// Short text in a fixed buffer. Reports format addresses and times for every flow; building them
// here instead of in std::strings keeps that free of allocation.
#pragma once

#include <array>
#include <cstddef>
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

}  // namespace tattle::core
