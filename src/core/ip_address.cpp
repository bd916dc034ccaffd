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
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.version == 4) inet_ntop(AF_INET, a.bytes.data(), buf, sizeof buf);
  if (a.version == 6) inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string to_string(const Endpoint& e) {
  if (e.addr.version == 6) return fmt::format("[{}]:{}", to_string(e.addr), e.port);
  return fmt::format("{}:{}", to_string(e.addr), e.port);
}

}  // namespace tattle::core
