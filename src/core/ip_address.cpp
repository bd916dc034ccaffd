#include "core/ip_address.hpp"

#include <arpa/inet.h>

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

namespace {

// Written out here rather than through inet_ntop, which goes through printf: reports format two
// addresses per flow.
char* put_decimal(char* out, unsigned v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

char* put_dotted(char* out, const std::uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    if (i > 0) *out++ = '.';
    out = put_decimal(out, b[i]);
  }
  return out;
}

char* put_hex(char* out, unsigned word) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (word >> shift) & 0xf;
    if (nibble != 0 || started || shift == 0) {
      *out++ = kHex[nibble];
      started = true;
    }
  }
  return out;
}

// RFC 5952 §4: the longest run of two or more zero words (the first of equals) becomes "::".
char* put_ipv6(char* out, const std::array<std::uint8_t, 16>& b) {
  unsigned words[8];
  for (int i = 0; i < 8; ++i) words[i] = static_cast<unsigned>(b[2 * i] << 8 | b[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = -1;
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) *out++ = ':';
      continue;
    }
    if (i != 0) *out++ = ':';
    // ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 address readable, as inet_ntop writes them.
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)))
      return put_dotted(out, b.data() + 12);
    out = put_hex(out, words[i]);
  }
  if (best >= 0 && best + best_len == 8) *out++ = ':';
  return out;
}

char* put_address(char* out, const IpAddress& a) {
  if (a.version == 4) return put_dotted(out, a.bytes.data());
  if (a.version == 6) return put_ipv6(out, a.bytes);
  return out;
}

}  // namespace

FixedText<kAddressTextMax> text(const IpAddress& a) {
  FixedText<kAddressTextMax> t;
  t.finish(put_address(t.begin(), a));
  return t;
}

namespace {

// "[", the address as `put_address(out)` writes it, "]:" and the port (without brackets for
// IPv4).
template <class PutAddress>
char* put_endpoint_with(char* out, const Endpoint& e, PutAddress put_address) {
  const bool v6 = e.addr.version == 6;
  if (v6) *out++ = '[';
  out = put_address(out);
  if (v6) *out++ = ']';
  *out++ = ':';
  return put_decimal(out, e.port);
}

}  // namespace

char* put_endpoint(char* out, const Endpoint& e, std::string_view address) {
  return put_endpoint_with(out, e, [&](char* o) {
    if (!address.empty()) std::memcpy(o, address.data(), address.size());
    return o + address.size();
  });
}

FixedText<kEndpointTextMax> text(const Endpoint& e) {
  FixedText<kEndpointTextMax> t;
  t.finish(put_endpoint_with(t.begin(), e, [&](char* o) { return put_address(o, e.addr); }));
  return t;
}

std::string to_string(const IpAddress& a) { return std::string(text(a).view()); }
std::string to_string(const Endpoint& e) { return std::string(text(e).view()); }

}  // namespace tattle::core
