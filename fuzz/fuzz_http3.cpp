// The HTTP/3 reader with its QPACK decoding on arbitrary bytes: the input is cut into pieces,
// each given to a stream chosen by its first byte (requests, both sides' encoder streams,
// others), from the client or the server, with or without the stream's end.
#include <cstddef>
#include <cstdint>

#include "dissect/http3.hpp"

namespace {

struct Sink final : tattle::dissect::HttpSink {
  void on_http(const tattle::dissect::HttpExchange& x) override {
    sum += x.authority.size() + x.target.size() + x.status + x.request.body.size() + x.response.body.size();
    for (const auto& h : x.request.headers) sum += h.name.size() + h.value.size();
  }
  std::uint64_t sum = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  core::Counters<dissect::HttpCounter> counters;
  Sink sink;
  dissect::Http3Connection h3(dissect::HttpContext{&counters, &sink, 8, {}, {}});
  // Pieces: a control byte (stream, side, end), a length byte, then that many bytes.
  static constexpr std::uint64_t kStreams[] = {0, 4, 8, 2, 3, 6, 7, 10, 11, 1};
  std::size_t at = 0;
  while (at + 2 <= size) {
    const std::uint8_t control = data[at], length = data[at + 1];
    at += 2;
    const std::size_t n = std::min<std::size_t>(length, size - at);
    h3.on_stream(kStreams[control % 10], (control & 0x10) == 0, tattle::core::Bytes(data + at, n), (control & 0x20) != 0,
                 core::Timestamp{static_cast<std::int64_t>(at)});
    at += n;
  }
  h3.finish();
  flow::FlowRecord r;
  h3.annotate(r);
  return sink.sum + r.http_requests.size() == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
