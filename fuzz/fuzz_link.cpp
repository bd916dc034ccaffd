// One link layer's decoder on arbitrary bytes. Built once per link type with
// -DTATTLE_FUZZ_LINKTYPE=<LINKTYPE_*>; each input is decoded twice, as a whole frame and as one
// the snap length cut short, since the decoder treats short headers differently in the two.
#include <cstddef>
#include <cstdint>

#include "capture/frame.hpp"
#include "core/app.hpp"
#include "core/diagnostics.hpp"
#include "decode/decoder.hpp"

#ifndef TATTLE_FUZZ_LINKTYPE
#error "define TATTLE_FUZZ_LINKTYPE to the LINKTYPE_* number to fuzz"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  core::Diagnostics diag;
  core::AppRegistry apps;
  diag.add_input("fuzz");
  decode::Decoder decoder(diag, apps);
  capture::Frame frame;
  frame.data = core::Bytes(data, size);
  frame.link_type = TATTLE_FUZZ_LINKTYPE;
  std::uint64_t sink = 0;
  const auto touch = [&](const decode::PacketView& v) {
    // Read every byte the view claims, so that a view past its buffer shows up under ASan.
    for (std::uint8_t b : v.payload) sink += b;
    sink += v.src.port + v.dst.port + v.payload_len + v.depth + v.app;
  };
  for (const std::uint32_t extra : {0u, 1000u}) {
    frame.wire_len = static_cast<std::uint32_t>(size) + extra;
    frame.ts.ns += 1'000'000'000;
    decoder.decode(frame, touch);
  }
  return sink == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
