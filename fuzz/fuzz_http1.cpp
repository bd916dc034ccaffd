// The HTTP/1.x dissector (fuzz_http1) and, built with TATTLE_FUZZ_HTTP2, the HTTP/2 dissector
// with its HPACK decoding (fuzz_http2) on arbitrary bytes, both directions: the input's first two
// bytes say how much of the rest is the client's stream, the rest is the server's; each is fed in
// pieces whose sizes the third byte varies, as StreamFeed would present them, the two sides
// taking turns. HTTP/2's client stream is given its connection preface first. Every exchange
// handed on is read through, bodies included.
#include <cstddef>
#include <cstdint>
#include <string>

#include "decode/packet.hpp"
#include "dissect/http2.hpp"
#include "dissect/tcp.hpp"

namespace {

class TouchingSink final : public tattle::dissect::HttpSink {
 public:
  void on_http(const tattle::dissect::HttpExchange& x) override {
    for (const auto* m : {&x.request, &x.response}) {
      for (const auto& h : m->headers) sum += h.name.size() + h.value.size();
      for (const auto b : m->body) sum += b;
      sum += m->body_bytes;
    }
    sum += x.method.size() + x.target.size() + x.authority.size() + x.status;
  }
  std::uint64_t sum = 0;
};

// One direction's stream with what it has not consumed yet.
struct Side {
  tattle::core::Bytes input;
  std::size_t at = 0;
  std::string pending;
  bool done = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  if (size < 3) return 0;
  const std::size_t split = std::min<std::size_t>(size - 3, std::size_t{data[0]} << 8 | data[1]);
  const std::size_t piece = 1 + data[2] % 64 * 37;
  const core::Bytes rest(data + 3, size - 3);
#ifdef TATTLE_FUZZ_HTTP2
  std::string client(dissect::kHttp2Preface);
  client.append(reinterpret_cast<const char*>(rest.data()), split);
  Side sides[2] = {{{reinterpret_cast<const std::uint8_t*>(client.data()), client.size()}}, {rest.subspan(split)}};
#else
  Side sides[2] = {{rest.first(split)}, {rest.subspan(split)}};
#endif

  dissect::TcpDissectorCounters counters;
  TouchingSink sink;
  flow::DissectorTable table;
  dissect::add_tcp(table, counters, nullptr, &sink);
  flow::FlowContext ctx;
  ctx.ip_proto = decode::ip_proto::kTcp;
  auto d = table.choose(ctx);
  // The client first: the dissector is chosen by its first bytes.
  for (bool more = true; more;) {
    more = false;
    for (int i = 0; i < 2; ++i) {
      Side& s = sides[i];
      if (s.done || s.at >= s.input.size()) continue;
      more = true;
      const std::size_t n = std::min(piece, s.input.size() - s.at);
      s.pending.append(reinterpret_cast<const char*>(s.input.data() + s.at), n);
      s.at += n;
      const auto dir = i == 0 ? flow::Direction::kFromClient : flow::Direction::kFromServer;
      const auto p = d->on_stream(dir, core::Timestamp{static_cast<std::int64_t>(s.at)},
                                  {reinterpret_cast<const std::uint8_t*>(s.pending.data()), s.pending.size()});
      if (p.kind == flow::Progress::Kind::kReject) return 0;
      if (p.kind == flow::Progress::Kind::kFinished) s.done = true;
      if (p.kind == flow::Progress::Kind::kConsumed || p.kind == flow::Progress::Kind::kIdle)
        s.pending.erase(0, p.consumed);
      if (s.pending.size() > 256 * 1024) {  // StreamFeed's bound: a gap
        s.pending.clear();
        d->on_gap(dir, 0);
      }
    }
  }
  d->on_close();
  flow::FlowRecord r;
  d->annotate(r);
  return sink.sum + r.http_requests.size() == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
