// A whole capture file (pcap or pcapng; the seed corpus decides which) through
// PacketSource::open_buffer: every frame is read and every byte of it touched, so that a frame
// pointing outside the input shows up under ASan. The pcap_file and pcapng_file targets share
// this source and differ only in their corpora.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "capture/packet_source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  core::Diagnostics diag;
  core::AppRegistry apps;
  const std::uint32_t input = diag.add_input("fuzz");
  capture::Limits limits;
  limits.max_record = 64 * 1024;  // keeps damaged inputs quick to scan
  auto source = capture::PacketSource::open_buffer(
      "fuzz", std::vector<std::uint8_t>(data, data + size), input, diag, apps, limits);
  if (!source.ok()) return 0;
  capture::Frame frame;
  unsigned sum = 0;
  while ((*source)->next(frame)) {
    for (const std::uint8_t b : frame.data) sum += b;
    sum += static_cast<unsigned>(apps.display_name(frame.app).size());
  }
  for (const auto& n : (*source)->names()) sum += static_cast<unsigned>(n.name.size());
  for (const auto& s : (*source)->secrets()) sum += static_cast<unsigned>(s.data.size());
  volatile unsigned sink = sum;
  (void)sink;
  return 0;
}
