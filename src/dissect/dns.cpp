#include "dissect/dns.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
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

// What the DNS dissectors of one table share: where transactions go, and the one message every
// message is read into (so reading allocates nothing once it has held the largest).
struct DnsShared {
  DnsSink& sink;
  core::Counters<DnsCounter>& counters;
  DnsMessage message;
};

// A query waiting for its response: what a transaction needs of it, owned (the message it came
// in is read over by the next one).
struct PendingQuery {
  core::Timestamp time;
  std::uint16_t id = 0;
  std::uint16_t qtype = 0;
  bool from_client = true;
  // Inline: most names fit, and a query per lookup would otherwise allocate for its name.
  absl::InlinedVector<char, 48> qname;
  std::string_view name() const { return {qname.data(), qname.size()}; }
  struct Question {
    std::string name;
    std::uint16_t type = 0;
    std::uint16_t qclass = 0;
  };
  std::vector<Question> more;  // the questions after the first (mDNS asks several at once)
};

class DnsDissector final : public flow::Dissector {
 public:
  DnsDissector(const flow::FlowContext& flow, DnsShared& shared)
      : shared_(shared), flow_id_(flow.id), client_(flow.client), server_(flow.server), ip_proto_(flow.ip_proto) {}

  // Nothing to annotate: once no query waits, the flow table may let this dissector go.
  flow::Progress on_datagram(flow::Direction dir, core::Timestamp ts, core::Bytes payload) override {
    on_message(dir, ts, payload);
    return pending_.empty() ? flow::Progress::idle(payload.size()) : flow::Progress::done(payload.size());
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
    for (const auto& q : pending_) {
      ++shared_.counters[DnsCounter::kUnanswered];
      emit_unanswered(q);
    }
    pending_.clear();
  }

 private:
  void on_message(flow::Direction dir, core::Timestamp ts, core::Bytes payload) {
    auto& counters = shared_.counters;
    ++counters[DnsCounter::kMessages];
    DnsMessage& m = shared_.message;
    std::size_t error_offset = 0;
    if (!parse_dns(payload, m, error_offset)) {
      ++counters[DnsCounter::kMalformed];
      return;
    }
    counters[DnsCounter::kDroppedRecords] += m.dropped_records;
    const bool from_client = dir == flow::Direction::kFromClient;
    const std::string_view qname = m.questions.empty() ? std::string_view() : m.questions.front().name;
    const std::uint16_t qtype = m.questions.empty() ? 0 : m.questions.front().type;
    if (!m.response) {
      if (pending_.size() == kMaxPending) {
        ++counters[DnsCounter::kPendingDropped];
        ++counters[DnsCounter::kUnanswered];
        emit_unanswered(pending_.front());
        pending_.erase(pending_.begin());
      }
      PendingQuery& q = pending_.emplace_back();
      q.time = ts;
      q.id = m.id;
      q.qtype = qtype;
      q.from_client = from_client;
      q.qname.resize(qname.size());  // then copied whole: assign() would copy a byte at a time
      if (!qname.empty()) std::memcpy(q.qname.data(), qname.data(), qname.size());
      for (std::size_t i = 1; i < m.questions.size(); ++i)
        q.more.push_back({std::string(m.questions[i].name), m.questions[i].type, m.questions[i].qclass});
      return;
    }
    DnsTransaction t = transaction(!from_client);
    t.id = m.id;
    t.qname = qname;
    t.qtype = qtype;
    if (m.questions.size() > 1) t.more_questions = std::span(m.questions).subspan(1);
    // A retransmitted query has the same ID and question: the response answers the first one.
    const auto match = std::find_if(pending_.begin(), pending_.end(), [&](const PendingQuery& q) {
      return q.id == m.id && q.qtype == qtype && q.name() == qname && q.from_client != from_client;
    });
    if (match != pending_.end()) {
      t.time = match->time;
      pending_.erase(match);
    } else {
      ++counters[DnsCounter::kUnsolicited];
      t.time = ts;
    }
    t.response_time = ts;
    t.answered = true;
    t.rcode = m.rcode;
    t.answers = m.answers;
    emit(t);
  }

  // A transaction of this flow whose query came from the flow's client (or from its server).
  DnsTransaction transaction(bool client_asked) const {
    DnsTransaction t;
    t.flow_id = flow_id_;
    t.ip_proto = ip_proto_;
    t.client = client_asked ? client_ : server_;
    t.server = client_asked ? server_ : client_;
    return t;
  }

  void emit_unanswered(const PendingQuery& q) {
    DnsTransaction t = transaction(q.from_client);
    t.time = q.time;
    t.id = q.id;
    t.qname = q.name();
    t.qtype = q.qtype;
    std::vector<DnsQuestion> more;
    for (const auto& o : q.more) more.push_back({o.name, o.type, o.qclass});
    t.more_questions = more;
    emit(t);
  }

  void emit(const DnsTransaction& t) {
    ++shared_.counters[DnsCounter::kTransactions];
    shared_.sink.on_dns(t);
  }

  DnsShared& shared_;
  std::uint64_t flow_id_;
  core::Endpoint client_, server_;
  std::uint8_t ip_proto_;
  // Oldest first. Mostly one query waits for its answer: kept inline, no allocation per flow.
  absl::InlinedVector<PendingQuery, 1> pending_;
};

bool dns_port(std::uint16_t p) { return p == kDnsPort || p == kMdnsPort; }

}  // namespace

void add_dns(flow::DissectorTable& table, DnsSink& sink, core::Counters<DnsCounter>& counters) {
  auto shared = std::make_shared<DnsShared>(DnsShared{sink, counters, {}});
  table.add([shared](const flow::FlowContext& flow) -> std::unique_ptr<flow::Dissector> {
    const bool transport = flow.ip_proto == decode::ip_proto::kUdp || flow.ip_proto == decode::ip_proto::kTcp;
    if (!transport || !(dns_port(flow.server.port) || dns_port(flow.client.port))) return nullptr;
    return std::make_unique<DnsDissector>(flow, *shared);
  });
}

}  // namespace tattle::dissect
