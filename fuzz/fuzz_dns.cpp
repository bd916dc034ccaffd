// The DNS message parser and the DNS dissector on arbitrary bytes: the input is read as one
// message (as a UDP datagram brings it) and as a TCP stream of length-prefixed messages, fed in
// two pieces, so that the framing is exercised too.
#include <cstddef>
#include <cstdint>

#include "decode/packet.hpp"
#include "dissect/dns.hpp"

namespace {

struct Touch final : tattle::dissect::DnsSink {
  std::uint64_t sum = 0;
  void on_dns(const tattle::dissect::DnsTransaction& t) override {
    // Read everything a transaction holds, so that a bad span or string shows up under ASan.
    for (char c : t.qname) sum += static_cast<unsigned char>(c);
    for (const auto& a : t.answers) {
      sum += a.name.size() + a.target.size() + a.type;
      for (const auto& addr : a.addresses) sum += addr.bytes[15];
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  const core::Bytes input(data, size);
  dissect::DnsMessage m;
  std::size_t error_offset = 0;
  dissect::parse_dns(input, m, error_offset);

  Touch sink;
  core::Counters<dissect::DnsCounter> counters;
  flow::DissectorTable table;
  dissect::add_dns(table, sink, counters);
  flow::FlowContext ctx;
  ctx.client = core::Endpoint{core::IpAddress::parse("10.0.0.1"), 40000};
  ctx.server = core::Endpoint{core::IpAddress::parse("10.0.0.2"), 53};
  ctx.ip_proto = decode::ip_proto::kUdp;
  auto udp = table.choose(ctx);
  udp->on_datagram(flow::Direction::kFromClient, core::Timestamp{1}, input);
  udp->on_datagram(flow::Direction::kFromServer, core::Timestamp{2}, input);
  udp->on_close();

  ctx.ip_proto = decode::ip_proto::kTcp;
  auto tcp = table.choose(ctx);
  const std::size_t half = size / 2;
  const auto first = tcp->on_stream(flow::Direction::kFromServer, core::Timestamp{3}, input.first(half));
  // As StreamFeed would: what was not consumed comes again with the rest.
  const std::size_t used = first.kind == flow::Progress::Kind::kConsumed ? first.consumed : 0;
  tcp->on_stream(flow::Direction::kFromServer, core::Timestamp{4}, input.subspan(used));
  tcp->on_close();
  return sink.sum == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
