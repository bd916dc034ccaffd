#include "core/ip_address.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace tattle::core {

IpAddress IpAddress::parse(const std::string& text) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.version = 4;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.version = 6;
  } else {
    a = IpAddress{};
  }
  return a;
}

std::string to_string(const IpAddress& a) {
  if (a.version == 4) {
    // Written out here: inet_ntop goes through printf, and reports format addresses per flow.
    std::string out;
    out.reserve(15);
    for (int i = 0; i < 4; ++i) {
      if (i > 0) out.push_back('.');
      const unsigned b = a.bytes[static_cast<std::size_t>(i)];
      if (b >= 100) out.push_back(static_cast<char>('0' + b / 100));
      if (b >= 10) out.push_back(static_cast<char>('0' + b / 10 % 10));
      out.push_back(static_cast<char>('0' + b % 10));
    }
    return out;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.version == 6) inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string to_string(const Endpoint& e) {
  if (e.addr.version == 6) return fmt::format("[{}]:{}", to_string(e.addr), e.port);
  return fmt::format("{}:{}", to_string(e.addr), e.port);
}

}  // namespace tattle::core
