// A finished flow as the report sees it: plain data, copied out of the flow table when the flow
// ends, so that sinks never touch live flow state.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/inlined_vector.h>

#include "core/app.hpp"
#include "core/ip_address.hpp"
#include "core/owner.hpp"
#include "core/timestamp.hpp"

namespace tattle::flow {

enum class TcpState : std::uint8_t {
  kNone,         // not TCP
  kMidstream,    // no SYN seen: picked up mid-way
  kSynSent,      // SYN seen, no SYN-ACK
  kEstablished,  // SYN and SYN-ACK seen
  kHalfClosed,   // FIN from one side
  kClosed,       // FIN from both sides
  kReset,        // RST seen
};
std::string_view to_string(TcpState s);

enum class EndReason : std::uint8_t {
  kIdle,        // no packet for the protocol's idle timeout
  kClosed,      // TCP closed (FIN both ways or RST) and lingered
  kReused,      // a new SYN reused the 5-tuple of a closed connection
  kEvicted,     // flow table full: the least recently active flow made room
  kEndOfInput,  // still open when the input ended
};
std::string_view to_string(EndReason r);

// Where a flow's name came from, best first: what the client said in the flow itself (TLS SNI,
// QUIC's ClientHello, HTTP Host), then what its client resolved to the server's address; or the
// domain an App Privacy Report record names (such records are not packets).
enum class NameSource : std::uint8_t { kNone, kSni, kQuic, kHttp, kDns, kReport };

inline constexpr std::size_t kMaxFlowNames = 16;     // names kept per flow (a bit each in masks)
inline constexpr std::size_t kMaxFlowRequests = 16;  // HTTP requests kept per flow
std::string_view to_string(NameSource s);

// What the flow table keeps up to date on every packet. Kept small: it lives in the table for
// every live flow, and its size is memory traffic on every packet.
struct FlowCore {
  // Unique in a run and stable across runs and thread counts: 8 × the number of the flow's
  // first frame in the merged input (1-based, as Wireshark numbers frames) + its tunnel depth.
  std::uint64_t id = 0;
  std::uint8_t ip_proto = 0;
  std::uint8_t depth = 0;
  core::Endpoint client, server;
  core::Timestamp start, end;
  // Index 0: client to server ("out"); index 1: server to client ("in").
  std::array<std::uint64_t, 2> packets{};
  std::array<std::uint64_t, 2> bytes{};          // frame bytes on the wire
  std::array<std::uint64_t, 2> payload_bytes{};  // transport payload bytes
  bool first_from_server = false;  // the first packet seen went server → client
  TcpState tcp_state = TcpState::kNone;
  EndReason end_reason = EndReason::kEndOfInput;
  core::AppId app = core::kNoApp;  // the first app the capture named for this flow
};

// A finished flow as the sinks see it: the core, and what the dissectors and enrichment learnt
// about it (filled in only when the flow ends).
struct FlowRecord : FlowCore {
  // Adds a name seen for the flow (kept once, at most kMaxFlowNames); it becomes `name` when it
  // comes from a better source than the present one. Dissectors and naming all go through here.
  void add_name(std::string_view seen, NameSource source) {
    if (seen.empty()) return;
    if (name_source == NameSource::kNone || source < name_source) {
      name = seen;
      name_source = source;
    }
    if (names.size() < kMaxFlowNames && std::find(names.begin(), names.end(), seen) == names.end())
      names.emplace_back(seen);
  }

  std::string name;                // the name the flow is best known by; "" if none
  NameSource name_source = NameSource::kNone;
  std::vector<std::string> names;  // every name seen for it, `name` first (bounded)
  // From the client's TLS ClientHello (or QUIC's), when there was one.
  std::string sni;
  std::vector<std::string> alpn;
  std::string ja4;
  std::vector<std::string> tls_versions;  // offered, newest first: "1.3", "1.2", ...
  // TLS decrypted with a key log: every record read verified. When not, why (a literal; the list
  // is in docs/schema.md); empty for flows that are neither TLS nor QUIC.
  bool decrypted = false;
  std::string_view decrypt_reason;
  // HTTP/1.x requests in clear text, the first kMaxFlowRequests of them.
  // Its fields in one string: a flow of one request would otherwise allocate for each field
  // too long to be kept in a std::string itself (a target, a User-Agent), flow after flow.
  class HttpRequest {
   public:
    HttpRequest(std::string_view method, std::string_view host, std::string_view target, std::string_view user_agent) {
      text_.reserve(method.size() + host.size() + target.size() + user_agent.size());
      int i = 0;
      for (const std::string_view field : {method, host, target, user_agent}) {
        text_ += field;
        ends_[i++] = static_cast<std::uint32_t>(text_.size());
      }
    }
    [[nodiscard]] std::string_view method() const { return field(0); }
    [[nodiscard]] std::string_view host() const { return field(1); }
    [[nodiscard]] std::string_view target() const { return field(2); }
    [[nodiscard]] std::string_view user_agent() const { return field(3); }

   private:
    [[nodiscard]] std::string_view field(int i) const {
      const std::uint32_t begin = i == 0 ? 0 : ends_[i - 1];
      return std::string_view(text_).substr(begin, ends_[i] - begin);
    }
    std::string text_;
    std::array<std::uint32_t, 4> ends_{};  // where each field ends in text_
  };
  std::vector<HttpRequest> http_requests;
  // From enrichment (src/enrich): where the server is, who owns what the flow reached (by its
  // names, else by the server's network), the CDN or cloud provider that serves it for the owner,
  // and tags. What these point to lives for the whole run.
  std::shared_ptr<const core::Place> place;  // null: no database knows the address
  const core::Owner* owner = nullptr;
  const core::Owner* front = nullptr;
  std::uint16_t front_names = 0;  // bit i: names[i] is a CDN's or cloud's name, not the owner's
  std::vector<std::string_view> tags;
  // App Privacy Report records only: the network accesses the record sums (0 for packet flows).
  std::uint64_t hits = 0;
  // When the flow table was asked for them (flow::Config::send_merge_ns): the start times (ns) of
  // the client's send events, in order. Most flows send once or twice: those two need no
  // allocation of their own (the inline room is that of a vector's three words).
  absl::InlinedVector<std::int64_t, 2> sends;
};

}  // namespace tattle::flow
