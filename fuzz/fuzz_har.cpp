// The HAR reader, and the flows and exchanges made of its entries, on arbitrary bytes as a HAR
// file's contents.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "capture/har.hpp"
#include "dissect/har.hpp"

namespace {

struct Sink final : tattle::dissect::HttpSink, tattle::flow::FlowSink {
  void on_http(const tattle::dissect::HttpExchange& x) override {
    sum += x.request.body.size() + x.response.body.size() + x.target.size() + x.status;
    for (const auto& h : x.request.headers) sum += h.name.size() + h.value.size();
  }
  void on_flow(tattle::flow::FlowRecord& f) override { sum += f.names.size() + f.bytes[0] + f.http_requests.size(); }
  std::uint64_t sum = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  std::FILE* null = std::fopen("/dev/null", "w");
  core::Diagnostics diag(null);
  const std::uint32_t input = diag.add_input("fuzz.har");
  Sink sink;
  core::Counters<dissect::HttpCounter> counters;
  dissect::HarFlows flows(sink, counters);
  capture::HarCounts counts;
  capture::read_har_text(std::string_view(reinterpret_cast<const char*>(data), size), input, diag,
                    [&](const capture::HarEntry& e) { flows.add(e); }, counts);
  flows.finish(sink);
  std::fclose(null);
  return sink.sum == 1 ? 1 : 0;
}
