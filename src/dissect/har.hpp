// HAR entries (capture/har.hpp) as what a decrypted capture gives: an HttpExchange per entry, and a
// flow per connection the entries name (server address and port, connection id), with the
// entries' sizes and times, so that naming, owners, places and the policy see them as flows.
// A WebSocket's messages become exchanges of their own (version "WebSocket"): a sent message the
// request's body, a received one the response's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "capture/har.hpp"
#include "core/counter.hpp"
#include "dissect/http.hpp"
#include "flow/flow_table.hpp"

namespace tattle::dissect {

class HarFlows {
 public:
  // `http` receives the exchanges as entries come; `counters` counts them as the dissectors do.
  HarFlows(HttpSink& http, core::Counters<HttpCounter>& counters) : http_(http), counters_(counters) {}
  void add(const capture::HarEntry& entry);
  // The flows, each once, in the order their first entries came; then none is kept.
  void finish(flow::FlowSink& flows);

 private:
  using Key = std::tuple<std::string, std::uint16_t, std::string, std::string>;  // address, port, connection, host
  HttpSink& http_;
  core::Counters<HttpCounter>& counters_;
  std::map<Key, flow::FlowRecord> flows_;
};

}  // namespace tattle::dissect
