// Reads the "destinations" of a tattle report (schema "tattle.audit/1", docs/schema.md) with
// simdjson's On-Demand API: the text is indexed once and the other members ("flows", "dns"),
// which make up most of a report, are skipped over without being parsed. Memory is the report,
// simdjson's index of it and the selection: under twice the report's size (docs/blocklist.md).
#pragma once

#include <string>
#include <string_view>

#include <absl/functional/function_ref.h>
#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <simdjson.h>

#include "blocklist/selection.hpp"

namespace tattle::blocklist {

// The whole file at `path` ("-": standard input), with the padding simdjson reads past the end.
// Fails naming the file if it cannot be read.
absl::StatusOr<simdjson::padded_string> load_report(const std::string& path);

// Calls `on_destination` for each item of the report's "destinations" array, in order. The
// report's first member must be "schema": "tattle.audit/1". Fails with a message naming `label`
// (the file) and the byte offset when the text is not JSON, not a tattle report, has no
// "destinations" (reports older than issue 3), or a destination field read here has the wrong
// type. Damage inside members it skips is noticed only where it unbalances brackets or quotes.
absl::Status read_destinations(std::string_view label, simdjson::padded_string_view json,
                               absl::FunctionRef<void(const Destination&)> on_destination);

}  // namespace tattle::blocklist
