// The TLS ClientHello parser, JA4, and the TCP dissectors (TLS and HTTP, chosen by the first
// bytes) on arbitrary bytes: the input is read as a ClientHello body, and as the client's side
// of a TCP stream fed in two pieces, as StreamFeed would present them.
#include <cstddef>
#include <cstdint>

#include "decode/packet.hpp"
#include "dissect/tcp.hpp"
#include "dissect/tls_client_hello.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  const core::Bytes input(data, size);
  std::uint64_t sum = 0;
  dissect::ClientHello hello;
  if (dissect::parse_client_hello(input, hello)) sum += dissect::ja4(hello, 't').size() + hello.sni.size();

  dissect::TcpDissectorCounters counters;
  flow::DissectorTable table;
  dissect::add_tcp(table, counters);
  flow::FlowContext ctx;
  ctx.ip_proto = decode::ip_proto::kTcp;
  auto tls = table.choose(ctx);
  const std::size_t half = size / 2;
  const auto first = tls->on_stream(flow::Direction::kFromClient, core::Timestamp{1}, input.first(half));
  if (first.kind != flow::Progress::Kind::kReject) {
    const std::size_t used = first.kind == flow::Progress::Kind::kConsumed ? first.consumed : 0;
    tls->on_stream(flow::Direction::kFromClient, core::Timestamp{2}, input.subspan(used));
    tls->on_close();
    flow::FlowRecord r;
    tls->annotate(r);
    for (char c : r.ja4) sum += static_cast<unsigned char>(c);
    for (const auto& a : r.alpn) sum += a.size();
  }
  return sum == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
