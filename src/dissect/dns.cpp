#include "dissect/dns.hpp"

#include <algorithm>
#include <vector>

#include <absl/container/inlined_vector.h>

#include "decode/packet.hpp"

namespace tattle::dissect {

std::string_view counter_name(DnsCounter c) {
  switch (c) {
    case DnsCounter::kMessages: return "messages";
    case DnsCounter::kMalformed: return "malformed";
    case DnsCounter::kTransactions: return "transactions";
    case DnsCounter::kUnanswered: return "unanswered";
    case DnsCounter::kUnsolicited: return "unsolicited";
    case DnsCounter::kPendingDropped: return "pending_dropped";
    case DnsCounter::kDroppedRecords: return "dropped_records";
    case DnsCounter::kCount: break;
  }
  return "?";
}

namespace {

// Outstanding queries kept per flow; a resolver's own flow rarely has more than a few.
constexpr std::size_t kMaxPending = 32;
constexpr std::size_t kTcpLengthPrefix = 2;

class DnsDissector final : public flow::Dissector {
 public:
  DnsDissector(const flow::FlowContext& flow, DnsSink& sink, core::Counters<DnsCounter>& counters)
      : flow_(flow), sink_(sink), counters_(counters) {}

  flow::Progress on_datagram(flow::Direction dir, core::Timestamp ts, core::Bytes payload) override {
    on_message(dir, ts, payload);
    return flow::Progress::done(payload.size());
  }

  flow::Progress on_stream(flow::Direction dir, core::Timestamp ts, core::Bytes bytes) override {
    std::size_t used = 0;
    while (bytes.size() - used >= kTcpLengthPrefix) {
      const std::size_t len = std::size_t{bytes[used]} << 8 | bytes[used + 1];
      if (bytes.size() - used - kTcpLengthPrefix < len) {
        if (used > 0) break;
        return flow::Progress::need(kTcpLengthPrefix + len);
      }
      on_message(dir, ts, bytes.subspan(used + kTcpLengthPrefix, len));
      used += kTcpLengthPrefix + len;
    }
    return flow::Progress::done(used);
  }

  // A length prefix lost in the gap cannot be found again: DNS has no marker to resync on.
  flow::Progress on_gap(flow::Direction, std::uint64_t) override { return flow::Progress::reject(); }

  void on_close() override {
    for (auto& q : pending_) {
      ++counters_[DnsCounter::kUnanswered];
      emit(q);
    }
    pending_.clear();
  }

 private:
  void on_message(flow::Direction dir, core::Timestamp ts, core::Bytes payload) {
    ++counters_[DnsCounter::kMessages];
    DnsMessage m;
    std::size_t error_offset = 0;
    if (!parse_dns(payload, m, error_offset)) {
      ++counters_[DnsCounter::kMalformed];
      return;
    }
    counters_[DnsCounter::kDroppedRecords] += m.dropped_records;
    const bool from_client = dir == flow::Direction::kFromClient;
    const core::Endpoint& sender = from_client ? flow_.client : flow_.server;
    const core::Endpoint& receiver = from_client ? flow_.server : flow_.client;
    DnsTransaction t;
    t.flow_id = flow_.id;
    t.ip_proto = flow_.ip_proto;
    t.id = m.id;
    if (!m.questions.empty()) {
      t.qname = std::move(m.questions.front().name);
      t.qtype = m.questions.front().type;
      t.more_questions.assign(std::make_move_iterator(m.questions.begin() + 1),
                              std::make_move_iterator(m.questions.end()));
    }
    if (!m.response) {
      t.time = ts;
      t.client = sender;
      t.server = receiver;
      if (pending_.size() == kMaxPending) {
        ++counters_[DnsCounter::kPendingDropped];
        ++counters_[DnsCounter::kUnanswered];
        emit(pending_.front());
        pending_.erase(pending_.begin());
      }
      pending_.push_back(std::move(t));
      return;
    }
    // A retransmitted query has the same ID and question: the response answers the first one.
    const auto match = std::find_if(pending_.begin(), pending_.end(), [&](const DnsTransaction& q) {
      return q.id == m.id && q.qtype == t.qtype && q.qname == t.qname && q.client == receiver;
    });
    if (match != pending_.end()) {
      t.time = match->time;
      pending_.erase(match);
    } else {
      ++counters_[DnsCounter::kUnsolicited];
      t.time = ts;
    }
    t.response_time = ts;
    t.client = receiver;
    t.server = sender;
    t.answered = true;
    t.rcode = m.rcode;
    t.answers = std::move(m.answers);
    emit(t);
  }

  void emit(const DnsTransaction& t) {
    ++counters_[DnsCounter::kTransactions];
    sink_.on_dns(t);
  }

  flow::FlowContext flow_;
  DnsSink& sink_;
  core::Counters<DnsCounter>& counters_;
  // Oldest first. Mostly one query waits for its answer: kept inline, no allocation per flow.
  absl::InlinedVector<DnsTransaction, 1> pending_;
};

bool dns_port(std::uint16_t p) { return p == kDnsPort || p == kMdnsPort; }

}  // namespace

void add_dns(flow::DissectorTable& table, DnsSink& sink, core::Counters<DnsCounter>& counters) {
  table.add([&sink, &counters](const flow::FlowContext& flow) -> std::unique_ptr<flow::Dissector> {
    const bool transport = flow.ip_proto == decode::ip_proto::kUdp || flow.ip_proto == decode::ip_proto::kTcp;
    if (!transport || !(dns_port(flow.server.port) || dns_port(flow.client.port))) return nullptr;
    return std::make_unique<DnsDissector>(flow, sink, counters);
  });
}

}  // namespace tattle::dissect
