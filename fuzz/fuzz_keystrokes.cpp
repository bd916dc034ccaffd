// The keystroke timeline reader on arbitrary bytes, as the lines of a log; the first byte's low
// bit picks whether one getevent device is asked for by name.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/keystrokes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  core::Diagnostics diag;
  const std::uint32_t input = diag.add_input("fuzz.keys");
  capture::KeystrokeParser parser(input, diag, (data[0] & 1) != 0 ? "/dev/input/event2" : "");
  std::uint64_t offset = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    parser.line(text.substr(0, nl), offset);
    if (nl == std::string_view::npos) break;
    offset += nl + 1;
    text.remove_prefix(nl + 1);
  }
  const auto log = parser.finish();
  return log.ok() && log->times.size() == 1 && log->times[0] == 1 ? 1 : 0;
}
