// `tattle audit` (and `tattle messages`, the same run printing HTTP exchanges): wires the stages into one run — capture → decode → flows/streams → dissectors
// → enrichment → sinks —
// on one thread, or with --threads N on a reading thread plus N - 1 flow workers that each own a
// shard of the flows (by a symmetric hash of the 5-tuple), their reassembly and dissectors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>

#include "enrich/catalog.hpp"

namespace tattle::app {

struct AuditOptions {
  std::vector<std::string> inputs;
  std::string json_path;    // "" for none, "-" for stdout
  std::string ndjson_path;  // "" for none, "-" for stdout
  unsigned threads = 1;
  bool quiet = false;
  bool flows_only = false;  // no dissectors: flows without names or a DNS log
  // Enrichment (not with flows_only).
  std::string location_db;               // "" for Debian's IPFire location database
  std::vector<std::string> mmdbs;        // MaxMind-format databases; a later one answers over an earlier
  std::vector<std::string> entities;     // catalog files or directories added to the default one
  bool no_default_entities = false;
  std::vector<std::string> tag_lists;    // "NAME=FILE"
  std::string app_map;
  std::string policy;
  std::vector<std::string> keylogs;      // SSLKEYLOGFILE files; pcapng DSB secrets are used too
  bool include_bodies = false;           // HTTP messages with their header values and bodies
  // A keystroke log (capture/keystrokes): traffic sent in step with it is a finding.
  std::string keystrokes;
  std::string keystroke_device;          // getevent: one device (path or name); "" for all
  std::optional<double> keystroke_offset;  // seconds: capture time = log time + offset
  // `tattle messages`: HTTP exchanges printed for reading (of one flow, unless 0) instead of the
  // summary; no enrichment.
  bool messages = false;
  std::uint64_t messages_flow = 0;
  enum class Colour { kAuto, kAlways, kNever } colour = Colour::kAuto;
};

// Exit statuses (README, docs/schema.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;
inline constexpr int kExitUnreadable = 2;  // an input (or an output) could not be used at all
inline constexpr int kExitDamaged = 3;     // inputs read, but with damage (warnings)
inline constexpr int kExitPolicy = 4;      // findings: the policy was breached, or traffic followed the
                                           // keystrokes (before kExitDamaged)

int run_audit(const AuditOptions& options);

// Loads the bundled entity catalog (data/entities/ of the source tree) unless `no_default`,
// then each of `extra` (files or directories), and links parents.
absl::Status load_catalog(enrich::Catalog& catalog, bool no_default, const std::vector<std::string>& extra);

}  // namespace tattle::app
