// HTTP exchanges in the reports: the "messages" items of docs/schema.md (summaries; header values
// and bodies only when the user asks for them), and the log `tattle messages` prints for reading,
// an exchange at a time, like a proxy's.
#pragma once

#include <cstdint>
#include <cstdio>

#include "dissect/http_message.hpp"
#include "report/json_writer.hpp"
#include "report/report.hpp"

namespace tattle::report {

// An exchange's JSON object; with `bodies`, each message's headers and body too; with `type`,
// NDJSON's "type" member first.
void write_message(JsonWriter& w, const dissect::HttpExchange& x, bool bodies, std::string_view type = {});

class MessageLog final : public RunSink {
 public:
  // `flow`: only that flow's exchanges (0: every flow's). `bodies`: headers and bodies too.
  MessageLog(std::FILE* out, std::uint64_t flow, bool bodies) : out_(out), flow_(flow), bodies_(bodies) {}
  void on_flow(flow::FlowRecord&) override {}
  void on_http(const dissect::HttpExchange& x) override;
  // A closing line: how many exchanges were shown, and why there may be fewer than expected.
  void finish(const RunStats& stats) override;

 private:
  std::FILE* out_;
  std::uint64_t flow_;
  bool bodies_;
  std::uint64_t shown_ = 0;
};

}  // namespace tattle::report
