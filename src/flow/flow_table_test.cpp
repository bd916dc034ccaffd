#include "flow/flow_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tattle::flow {
namespace {

using decode::PacketView;
namespace tf = decode::tcp_flag;

struct Collect : FlowSink {
  void on_flow(FlowRecord& f) override { flows.push_back(f); }
  std::vector<FlowRecord> flows;
};

core::Endpoint ep(const char* ip, std::uint16_t port) { return {core::IpAddress::parse(ip), port}; }

PacketView tcp(core::Endpoint src, core::Endpoint dst, std::int64_t t_s, std::uint8_t flags,
               std::uint32_t seq, core::Bytes payload = {}) {
  PacketView p;
  p.ts = core::Timestamp::from_seconds(t_s);
  p.src = src;
  p.dst = dst;
  p.ip_proto = decode::ip_proto::kTcp;
  p.tcp_flags = flags;
  p.seq = seq;
  p.payload = payload;
  p.payload_len = static_cast<std::uint32_t>(payload.size());
  p.wire_len = 54 + p.payload_len;
  return p;
}

PacketView udp(core::Endpoint src, core::Endpoint dst, std::int64_t t_s, std::uint32_t len) {
  PacketView p;
  p.ts = core::Timestamp::from_seconds(t_s);
  p.src = src;
  p.dst = dst;
  p.ip_proto = decode::ip_proto::kUdp;
  p.payload_len = len;
  p.wire_len = 42 + len;
  return p;
}

class FlowTableTest : public ::testing::Test {
 protected:
  Config config;
  DissectorTable none;
  Collect sink;
};

TEST_F(FlowTableTest, HandshakeMakesOneOrientedFlow) {
  FlowTable t(config, none, sink);
  const auto c = ep("192.0.2.10", 50000), s = ep("198.51.100.1", 443);
  const std::uint8_t data[] = {'h', 'i'};
  t.on_packet(tcp(c, s, 100, tf::kSyn, 1000), 1);
  t.on_packet(tcp(s, c, 100, tf::kSyn | tf::kAck, 5000), 2);
  t.on_packet(tcp(c, s, 101, tf::kAck, 1001), 3);
  t.on_packet(tcp(c, s, 101, tf::kAck | tf::kPsh, 1001, data), 4);
  t.finish();
  ASSERT_EQ(sink.flows.size(), 1u);
  const FlowRecord& f = sink.flows[0];
  EXPECT_EQ(f.id, 8u);  // first frame 1, depth 0
  EXPECT_EQ(f.client, c);
  EXPECT_EQ(f.server, s);
  EXPECT_FALSE(f.first_from_server);
  EXPECT_EQ(f.packets[0], 3u);
  EXPECT_EQ(f.packets[1], 1u);
  EXPECT_EQ(f.bytes[0], 54u + 54 + 56);
  EXPECT_EQ(f.payload_bytes[0], 2u);
  EXPECT_EQ(f.tcp_state, TcpState::kEstablished);
  EXPECT_EQ(f.end_reason, EndReason::kEndOfInput);
  EXPECT_EQ(f.start, core::Timestamp::from_seconds(100));
  EXPECT_EQ(f.end, core::Timestamp::from_seconds(101));
}

// The client's send events: new payload only (no pure ACKs, no retransmissions, nothing the
// server sends), one event until the client pauses for longer than the merge gap.
TEST_F(FlowTableTest, SendEventsOfTheClient) {
  config.send_merge_ns = 5'000'000;
  config.max_sends_per_flow = 3;
  FlowTable t(config, none, sink);
  const auto c = ep("192.0.2.10", 50000), s = ep("198.51.100.1", 443);
  const std::uint8_t data[100] = {};
  const auto at_ms = [](PacketView p, std::int64_t ms) {
    p.ts.ns += ms * 1'000'000;
    return p;
  };
  std::uint64_t frame = 0;
  t.on_packet(tcp(c, s, 100, tf::kSyn, 1000), ++frame);
  t.on_packet(tcp(s, c, 100, tf::kSyn | tf::kAck, 5000), ++frame);
  t.on_packet(at_ms(tcp(c, s, 100, tf::kAck | tf::kPsh, 1001, data), 10), ++frame);   // event 1
  t.on_packet(at_ms(tcp(c, s, 100, tf::kAck, 1101, {data, 50}), 14), ++frame);        // same event
  t.on_packet(at_ms(tcp(s, c, 100, tf::kAck | tf::kPsh, 5001, data), 30), ++frame);   // the server's
  t.on_packet(at_ms(tcp(c, s, 100, tf::kAck, 1151), 31), ++frame);                    // a pure ACK
  t.on_packet(at_ms(tcp(c, s, 100, tf::kAck | tf::kPsh, 1001, data), 40), ++frame);   // retransmitted
  t.on_packet(at_ms(tcp(c, s, 100, tf::kAck | tf::kPsh, 1151, data), 70), ++frame);   // event 2
  t.on_packet(at_ms(tcp(c, s, 100, tf::kAck | tf::kPsh, 1251, data), 90), ++frame);   // event 3
  t.on_packet(at_ms(tcp(c, s, 100, tf::kAck | tf::kPsh, 1351, data), 120), ++frame);  // beyond the 3 kept
  t.finish();
  ASSERT_EQ(sink.flows.size(), 1u);
  const std::int64_t base = 100 * core::kNsPerSecond;
  const auto& sends = sink.flows[0].sends;
  EXPECT_EQ(std::vector<std::int64_t>(sends.begin(), sends.end()),
            (std::vector<std::int64_t>{base + 10'000'000, base + 70'000'000, base + 90'000'000}));
  EXPECT_EQ(t.counters()[FlowCounter::kSendsDropped], 1u);
}

TEST_F(FlowTableTest, NoSendEventsUnlessAsked) {
  FlowTable t(config, none, sink);
  t.on_packet(udp(ep("192.0.2.10", 40000), ep("198.51.100.1", 443), 100, 1200), 1);
  t.finish();
  ASSERT_EQ(sink.flows.size(), 1u);
  EXPECT_TRUE(sink.flows[0].sends.empty());
}

TEST_F(FlowTableTest, SynAckFirstStillFindsTheClient) {
  FlowTable t(config, none, sink);
  const auto c = ep("2001:db8::1", 40000), s = ep("2001:db8::2", 8443);
  t.on_packet(tcp(s, c, 1, tf::kSyn | tf::kAck, 7), 1);
  t.finish();
  ASSERT_EQ(sink.flows.size(), 1u);
  EXPECT_EQ(sink.flows[0].client, c);
  EXPECT_EQ(sink.flows[0].packets[1], 1u);
}

TEST_F(FlowTableTest, WellKnownPortNamesTheServerWithoutSyn) {
  FlowTable t(config, none, sink);
  const auto c = ep("10.0.0.2", 53124), s = ep("10.0.0.1", 53);
  t.on_packet(udp(s, c, 1, 100), 1);  // the answer was captured first
  t.on_packet(udp(c, s, 1, 30), 2);
  t.finish();
  ASSERT_EQ(sink.flows.size(), 1u);
  EXPECT_EQ(sink.flows[0].server, s);
  EXPECT_TRUE(sink.flows[0].first_from_server);
  EXPECT_EQ(sink.flows[0].packets[0], 1u);
  EXPECT_EQ(sink.flows[0].bytes[1], 142u);
}

TEST_F(FlowTableTest, FirstSenderIsClientBetweenEphemeralPorts) {
  FlowTable t(config, none, sink);
  const auto a = ep("10.0.0.2", 40000), b = ep("10.0.0.1", 50000);
  t.on_packet(udp(a, b, 1, 10), 1);
  t.finish();
  EXPECT_EQ(sink.flows[0].client, a);
  EXPECT_EQ(sink.flows[0].tcp_state, TcpState::kNone);
}

TEST_F(FlowTableTest, IdleTimeoutSplitsFlowsByPacketTime) {
  config.udp_idle_ns = 60 * core::kNsPerSecond;
  FlowTable t(config, none, sink);
  const auto a = ep("10.0.0.2", 40000), b = ep("10.0.0.1", 53);
  t.on_packet(udp(a, b, 0, 10), 1);
  t.on_packet(udp(a, b, 60, 10), 2);   // exactly at the timeout: same flow
  t.on_packet(udp(a, b, 121, 10), 3);  // 61 s after the last: a new flow
  EXPECT_EQ(sink.flows.size(), 1u);
  EXPECT_EQ(sink.flows[0].end_reason, EndReason::kIdle);
  EXPECT_EQ(sink.flows[0].packets[0], 2u);
  t.finish();
  ASSERT_EQ(sink.flows.size(), 2u);
  EXPECT_EQ(sink.flows[1].id, 24u);
}

TEST_F(FlowTableTest, ClosedConnectionLingersThenEnds) {
  config.tcp_linger_ns = 5 * core::kNsPerSecond;
  FlowTable t(config, none, sink);
  const auto c = ep("192.0.2.1", 1234), s = ep("192.0.2.2", 80);
  t.on_packet(tcp(c, s, 0, tf::kSyn, 1), 1);
  t.on_packet(tcp(s, c, 0, tf::kSyn | tf::kAck, 1), 2);
  t.on_packet(tcp(c, s, 1, tf::kFin | tf::kAck, 2), 3);
  t.on_packet(tcp(s, c, 1, tf::kFin | tf::kAck, 2), 4);
  t.on_packet(tcp(c, s, 2, tf::kAck, 3), 5);  // the last ACK still belongs to it
  EXPECT_TRUE(sink.flows.empty());
  t.expire(core::Timestamp::from_seconds(8));
  ASSERT_EQ(sink.flows.size(), 1u);
  EXPECT_EQ(sink.flows[0].tcp_state, TcpState::kClosed);
  EXPECT_EQ(sink.flows[0].end_reason, EndReason::kClosed);
  EXPECT_EQ(sink.flows[0].packets[0] + sink.flows[0].packets[1], 5u);
}

TEST_F(FlowTableTest, NewSynOnClosedTupleStartsANewFlow) {
  FlowTable t(config, none, sink);
  const auto c = ep("192.0.2.1", 1234), s = ep("192.0.2.2", 80);
  t.on_packet(tcp(c, s, 0, tf::kSyn, 1), 1);
  t.on_packet(tcp(s, c, 0, tf::kRst | tf::kAck, 0), 2);
  t.on_packet(tcp(c, s, 1, tf::kSyn, 100), 3);
  ASSERT_EQ(sink.flows.size(), 1u);
  EXPECT_EQ(sink.flows[0].tcp_state, TcpState::kReset);
  EXPECT_EQ(sink.flows[0].end_reason, EndReason::kReused);
  t.finish();
  ASSERT_EQ(sink.flows.size(), 2u);
  EXPECT_EQ(sink.flows[1].id, 24u);
  EXPECT_EQ(sink.flows[1].tcp_state, TcpState::kSynSent);
}

TEST_F(FlowTableTest, FullTableEvictsLeastRecentlyActive) {
  config.max_flows = 2;
  FlowTable t(config, none, sink);
  const auto srv = ep("10.0.0.1", 53);
  t.on_packet(udp(ep("10.0.0.2", 1001), srv, 1, 1), 1);
  t.on_packet(udp(ep("10.0.0.3", 1002), srv, 2, 1), 2);
  t.on_packet(udp(ep("10.0.0.2", 1001), srv, 3, 1), 3);  // first flow active again
  t.on_packet(udp(ep("10.0.0.4", 1003), srv, 4, 1), 4);  // evicts the second
  ASSERT_EQ(sink.flows.size(), 1u);
  EXPECT_EQ(sink.flows[0].client.port, 1002);
  EXPECT_EQ(sink.flows[0].end_reason, EndReason::kEvicted);
  EXPECT_EQ(t.live(), 2u);
  EXPECT_EQ(t.counters()[FlowCounter::kEvicted], 1u);
}

TEST_F(FlowTableTest, TunnelDepthKeepsInnerAndOuterApart) {
  FlowTable t(config, none, sink);
  auto outer = udp(ep("10.0.0.1", 4789), ep("10.0.0.2", 4789), 1, 100);
  auto inner = udp(ep("10.0.0.1", 4789), ep("10.0.0.2", 4789), 1, 50);
  inner.depth = 1;
  t.on_packet(outer, 7);
  t.on_packet(inner, 7);
  t.finish();
  ASSERT_EQ(sink.flows.size(), 2u);
  EXPECT_NE(sink.flows[0].id, sink.flows[1].id);
}

TEST_F(FlowTableTest, ReassembledDatagramCountsEveryFrame) {
  FlowTable t(config, none, sink);
  auto p = udp(ep("10.0.0.2", 5000), ep("10.0.0.1", 53), 1, 3000);
  p.frames = 3;
  p.wire_len = 3 * 1000;
  t.on_packet(p, 1);
  t.finish();
  EXPECT_EQ(sink.flows[0].packets[0], 3u);
  EXPECT_EQ(sink.flows[0].bytes[0], 3000u);
}

// A dissector that records what it is shown and consumes whole lines.
struct LineDissector : Dissector {
  std::vector<std::string>* lines;
  int* closes;
  Progress on_stream(Direction, core::Timestamp, core::Bytes b) override {
    std::size_t used = 0;
    for (std::size_t i = 0; i < b.size(); ++i)
      if (b[i] == '\n') {
        lines->emplace_back(reinterpret_cast<const char*>(b.data() + used), i - used);
        used = i + 1;
      }
    return Progress::done(used);
  }
  Progress on_gap(Direction, std::uint64_t) override { return Progress::reject(); }
  Progress on_datagram(Direction, core::Timestamp, core::Bytes) override { return Progress::done(0); }
  void on_close() override { ++*closes; }
};

TEST_F(FlowTableTest, ReassembledStreamReachesTheDissectorInOrder) {
  std::vector<std::string> lines;
  int closes = 0;
  DissectorTable table;
  table.add([&](const FlowContext& f) -> std::unique_ptr<Dissector> {
    if (f.server.port != 80) return nullptr;
    auto d = std::make_unique<LineDissector>();
    d->lines = &lines;
    d->closes = &closes;
    return d;
  });
  FlowTable t(config, table, sink);
  const auto c = ep("192.0.2.1", 1234), s = ep("192.0.2.2", 80);
  const std::string a = "GET / HT", b = "TP/1.1\nHost: x\n";
  t.on_packet(tcp(c, s, 0, tf::kSyn, 99), 1);
  // Second segment first: it must wait for the first.
  t.on_packet(tcp(c, s, 0, tf::kAck, 100 + static_cast<std::uint32_t>(a.size()),
                  {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()}), 2);
  EXPECT_TRUE(lines.empty());
  t.on_packet(tcp(c, s, 0, tf::kAck, 100, {reinterpret_cast<const std::uint8_t*>(a.data()), a.size()}), 3);
  t.finish();
  EXPECT_EQ(lines, (std::vector<std::string>{"GET / HTTP/1.1", "Host: x"}));
  EXPECT_EQ(closes, 1);
}

// Waits for an odd datagram after an even one, then says it holds nothing (kIdle).
struct PairDissector : Dissector {
  explicit PairDissector(int& closes) : closes(closes) {}
  int& closes;
  int seen = 0;
  Progress on_stream(Direction, core::Timestamp, core::Bytes) override { return Progress::reject(); }
  Progress on_gap(Direction, std::uint64_t) override { return Progress::reject(); }
  Progress on_datagram(Direction, core::Timestamp, core::Bytes b) override {
    return ++seen % 2 == 0 ? Progress::idle(b.size()) : Progress::done(b.size());
  }
  void on_close() override { ++closes; }
};

TEST_F(FlowTableTest, AnIdleDatagramDissectorIsDroppedAndChosenAgainForMore) {
  int made = 0, closes = 0;
  DissectorTable table;
  table.add([&](const FlowContext&) -> std::unique_ptr<Dissector> {
    ++made;
    return std::make_unique<PairDissector>(closes);
  });
  FlowTable t(config, table, sink);
  const auto c = ep("192.0.2.1", 40000), s = ep("192.0.2.53", 53);
  t.on_packet(udp(c, s, 0, 30), 1);  // made: waits
  t.on_packet(udp(s, c, 0, 60), 2);  // idle: dropped
  EXPECT_EQ(made, 1);
  EXPECT_EQ(closes, 0);  // dropped, not closed: it held nothing to close
  t.on_packet(udp(c, s, 1, 30), 3);  // chosen again
  EXPECT_EQ(made, 2);
  t.finish();
  EXPECT_EQ(closes, 1);  // the second, still waiting, is closed with the flow
  ASSERT_EQ(sink.flows.size(), 1u);
  EXPECT_EQ(sink.flows[0].packets[0], 2u);
}

}  // namespace
}  // namespace tattle::flow
