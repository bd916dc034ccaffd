// `tattle audit`: wires the stages into one run — capture → decode → flows/streams → dissectors
// → enrichment → sinks —
// on one thread, or with --threads N on a reading thread plus N - 1 flow workers that each own a
// shard of the flows (by a symmetric hash of the 5-tuple), their reassembly and dissectors.
#pragma once

#include <string>
#include <vector>

namespace tattle::app {

struct AuditOptions {
  std::vector<std::string> inputs;
  std::string json_path;    // "" for none, "-" for stdout
  std::string ndjson_path;  // "" for none, "-" for stdout
  unsigned threads = 1;
  bool quiet = false;
  bool flows_only = false;  // no dissectors: flows without names or a DNS log
};

// Exit statuses (README, docs/schema.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitUnreadable = 2;  // an input (or an output) could not be used at all
inline constexpr int kExitDamaged = 3;     // inputs read, but with damage (warnings)

int run_audit(const AuditOptions& options);

}  // namespace tattle::app
