// Test vectors as the RFCs print them: hex digits, spaces between octets or not, to bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tattle::test_support {

inline std::vector<std::uint8_t> hex(std::string_view text) {
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::vector<std::uint8_t> out;
  int high = -1;
  for (const char c : text) {
    if (c == ' ' || c == '\n') continue;
    if (high < 0) {
      high = nibble(c);
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | nibble(c)));
      high = -1;
    }
  }
  return out;
}

}  // namespace tattle::test_support
