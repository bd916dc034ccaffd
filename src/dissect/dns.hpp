// The DNS dissector: each query matched with its response within its flow (by message ID and
// question, as a resolver does), over UDP (a message per datagram) and TCP (each message behind
// a 2-byte length, RFC 1035 §4.2.2), on port 53 and mDNS's 5353. A transaction goes to the
// DnsSink as soon as its response arrives, or unanswered when the flow ends.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/counter.hpp"
#include "dissect/dns_message.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

enum class DnsCounter {
  kMessages,        // DNS messages read
  kMalformed,       // messages that could not be read (header or question damaged)
  kTransactions,    // transactions handed on
  kUnanswered,      // queries whose response never came
  kUnsolicited,     // responses without a query seen (capture started late, mDNS announcements)
  kPendingDropped,  // queries given up on early: too many outstanding in one flow
  kDroppedRecords,  // records beyond DnsMessage::kMaxRecords, or after a damaged one
  kCount,
};
std::string_view counter_name(DnsCounter c);

// A query and its response, as handed to a DnsSink: a view, valid only during the call (names
// and records point into the message just read, or into the waiting query).
struct DnsTransaction {
  std::uint64_t flow_id = 0;
  std::uint8_t ip_proto = 0;
  core::Timestamp time;           // of the query; of the response when no query was seen
  core::Timestamp response_time;  // when `answered`
  core::Endpoint client, server;  // who asked and who answered (or was asked)
  std::uint16_t id = 0;
  std::string_view qname;  // the first question's; "" when the message had none
  std::uint16_t qtype = 0;
  std::span<const DnsQuestion> more_questions;  // after the first (mDNS asks several at once)
  bool answered = false;
  std::uint8_t rcode = 0;  // when `answered`
  std::span<const DnsAnswer> answers;
};

// Receives transactions; called on the thread of the flow's table.
class DnsSink {
 public:
  virtual ~DnsSink() = default;
  virtual void on_dns(const DnsTransaction& t) = 0;
};

inline constexpr std::uint16_t kDnsPort = 53;
inline constexpr std::uint16_t kMdnsPort = 5353;

// Adds the DNS dissector to `table` for UDP and TCP flows with either port; `sink` and
// `counters` must outlive the flows that use it. The table's DNS dissectors share one message
// to read into, so they must all run on one thread (as a flow table's do).
void add_dns(flow::DissectorTable& table, DnsSink& sink, core::Counters<DnsCounter>& counters);

}  // namespace tattle::dissect
