// The key log reader on arbitrary text: every secret kept must be found again by its client
// random, with a size its label allows, whatever the lines around it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "decrypt/keylog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  core::Diagnostics diag;
  decrypt::KeyLog log;
  log.add_text(text, &diag, diag.add_input("fuzz"));
  // The same text again adds no connection and keeps no new secret: every one is a repeat.
  const std::size_t connections = log.connections();
  const auto secrets = log.counters()[decrypt::KeyLogCounter::kSecrets];
  log.add_text(text);
  if (log.connections() != connections || log.counters()[decrypt::KeyLogCounter::kSecrets] != secrets) std::abort();
  if (log.counters()[decrypt::KeyLogCounter::kRepeated] < secrets) std::abort();
  for (const auto& w : diag.inputs()[0].kept)
    if (w.offset >= size) std::abort();
  return 0;
}
