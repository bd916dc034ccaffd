// Test fixtures: bodies coded by zlib's own encoder (the decoders under test are checked against
// it, not against themselves).
#pragma once

#include <string>

#include <zlib.h>

namespace tattle::test_support {

// `in` deflated with zlib's `window_bits` (15: zlib format, -15: raw deflate, 15 + 16: gzip).
inline std::string zlib_code(const std::string& in, int window_bits) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string gzip(const std::string& in) { return zlib_code(in, 15 + 16); }

}  // namespace tattle::test_support
