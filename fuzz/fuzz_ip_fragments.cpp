// Structure-aware fuzzing of IP fragment reassembly: the input is a sequence of records, each
// turned into one raw-IP frame (an IPv4 or IPv6 fragment the harness builds, or the record's bytes
// verbatim) at an advancing packet time. Few ids and addresses and small limits make fragments
// collide, overlap, complete, expire and get evicted.
//
// Record: ctrl u8 | time step u8 (x 100 ms) | offset u8 (x 8 bytes) | length u8 | length bytes
//   ctrl bit 0: IPv6; bits 1-2: id; bit 3: more fragments; bit 4: UDP (else TCP);
//   bit 5: raw (the bytes are the whole frame); bits 6-7: source address.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "capture/frame.hpp"
#include "core/app.hpp"
#include "core/diagnostics.hpp"
#include "decode/decoder.hpp"

namespace {

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

std::vector<std::uint8_t> build(std::uint8_t ctrl, std::uint8_t off8, const std::uint8_t* data, std::size_t n) {
  std::vector<std::uint8_t> b;
  const bool more = (ctrl & 0x08) != 0;
  const std::uint8_t proto = (ctrl & 0x10) != 0 ? 17 : 6;
  const std::uint8_t id = (ctrl >> 1) & 0x03;
  const std::uint8_t src = ctrl >> 6;
  const std::uint16_t off = static_cast<std::uint16_t>(off8) * 8;
  if ((ctrl & 0x01) == 0) {
    b = {0x45, 0x00};
    put16(b, static_cast<std::uint16_t>(20 + n));
    put16(b, id);
    put16(b, static_cast<std::uint16_t>((more ? 0x2000 : 0) | off / 8));
    b.insert(b.end(), {64, proto, 0, 0, 10, 0, 0, src, 10, 0, 0, 99});
  } else {
    b = {0x60, 0, 0, 0};
    put16(b, static_cast<std::uint16_t>(8 + n));
    b.insert(b.end(), {44, 64});
    for (int i = 0; i < 2; ++i) {
      b.insert(b.end(), {0x20, 0x01, 0x0d, 0xb8});
      b.insert(b.end(), 11, 0);
      b.push_back(i == 0 ? src : 99);
    }
    b.insert(b.end(), {proto, 0});
    put16(b, static_cast<std::uint16_t>(off | (more ? 1 : 0)));
    b.insert(b.end(), {0, 0, 0, id});
  }
  b.insert(b.end(), data, data + n);
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  core::Diagnostics diag;
  core::AppRegistry apps;
  diag.add_input("fuzz");
  decode::Limits limits;
  limits.max_datagrams = 6;
  limits.max_fragment_bytes = 4096;
  limits.fragment_timeout_ns = 2'000'000'000;
  decode::Decoder decoder(diag, apps, limits);
  std::uint64_t sink = 0;
  const auto touch = [&](const decode::PacketView& v) {
    for (std::uint8_t b : v.payload) sink += b;
    sink += v.frames + v.wire_len + v.payload_len;
  };
  capture::Frame frame;
  frame.link_type = 101;
  std::size_t pos = 0;
  while (pos + 4 <= size) {
    const std::uint8_t ctrl = data[pos];
    frame.ts.ns += static_cast<std::int64_t>(data[pos + 1]) * 100'000'000;
    const std::uint8_t off8 = data[pos + 2];
    std::size_t n = data[pos + 3];
    pos += 4;
    if (n > size - pos) n = size - pos;
    // An exact-size copy per frame, so that a read past the frame lands in ASan's redzone.
    const std::vector<std::uint8_t> bytes =
        (ctrl & 0x20) != 0 ? std::vector<std::uint8_t>(data + pos, data + pos + n) : build(ctrl, off8, data + pos, n);
    pos += n;
    frame.data = core::Bytes(bytes);
    frame.wire_len = static_cast<std::uint32_t>(bytes.size());
    decoder.decode(frame, touch);
  }
  return sink == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
