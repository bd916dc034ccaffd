// The body decoders on arbitrary bytes: the first byte picks the coding (gzip, deflate, br, zstd,
// identity), the rest is the body, fed in pieces whose size the second byte sets. Besides memory
// errors, it checks the cap: never more than the limit comes out, however the input inflates.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "dissect/content_coding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  if (size < 2) return 0;
  static constexpr const char* kCodings[] = {"gzip", "deflate", "br", "zstd", "identity"};
  constexpr std::size_t kLimit = 64 * 1024;
  dissect::BodyDecoder d(kCodings[data[0] % 5], kLimit);
  const std::size_t piece = 1 + data[1] * 17;
  const core::Bytes body(data + 2, size - 2);
  for (std::size_t at = 0; at < body.size(); at += piece) d.feed(body.subspan(at, std::min(piece, body.size() - at)));
  d.finish();
  if (d.out().size() > kLimit) std::abort();
  return 0;
}
