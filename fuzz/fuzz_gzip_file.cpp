// The fuzz input, gzip'd on the fly, through PacketSource::open_buffer: exercises the bounded
// inflate window (refills, compaction, growth) with frames straddling window boundaries, and
// checks that it yields exactly the frames the plain input yields.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "capture/packet_source.hpp"

namespace {

std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::vector<std::uint8_t> out(deflateBound(&zs, size) + 64);
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Reads every frame into a digest: (count, sum of bytes, sum of offsets and lengths).
struct Digest {
  std::uint64_t frames = 0, bytes = 0, shape = 0;
  bool ok = false;
  bool operator==(const Digest&) const = default;
};

Digest read_all(std::vector<std::uint8_t> bytes) {
  using namespace tattle;
  core::Diagnostics diag;
  core::AppRegistry apps;
  capture::Limits limits;
  limits.max_record = 64 * 1024;
  Digest d;
  auto source = capture::PacketSource::open_buffer("fuzz", std::move(bytes), diag.add_input("fuzz"),
                                                   diag, apps, limits);
  if (!source.ok()) return d;
  d.ok = true;
  capture::Frame f;
  while ((*source)->next(f)) {
    ++d.frames;
    for (const std::uint8_t b : f.data) d.bytes += b;
    d.shape += f.offset * 31 + f.data.size() + static_cast<std::uint64_t>(f.ts.ns);
  }
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A gzip'd input is itself valid input; only plain inputs have a plain twin to compare with.
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) return 0;
  const Digest plain = read_all(std::vector<std::uint8_t>(data, data + size));
  const Digest gz = read_all(gzip(data, size));
  if (size > 0 && !(plain == gz)) std::abort();
  return 0;
}
