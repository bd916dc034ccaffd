#include "flow/flow_table.hpp"

#include <algorithm>

#include "flow/stream_feed.hpp"

namespace tattle::flow {

std::string_view counter_name(FlowCounter c) {
  switch (c) {
    case FlowCounter::kFlows: return "flows";
    case FlowCounter::kTcpFlows: return "tcp_flows";
    case FlowCounter::kUdpFlows: return "udp_flows";
    case FlowCounter::kOtherFlows: return "other_flows";
    case FlowCounter::kEndedIdle: return "ended_idle";
    case FlowCounter::kEndedClosed: return "ended_closed";
    case FlowCounter::kEndedReused: return "ended_reused";
    case FlowCounter::kEvicted: return "evicted_table_full";
    case FlowCounter::kEndedAtEnd: return "ended_at_end_of_input";
    case FlowCounter::kDissectorRejects: return "dissector_rejects";
    case FlowCounter::kDissectorDropped: return "dissector_dropped_bytes";
    case FlowCounter::kSendsDropped: return "send_events_dropped";
    case FlowCounter::kCount: break;
  }
  return "?";
}

std::string_view to_string(TcpState s) {
  switch (s) {
    case TcpState::kNone: return "";
    case TcpState::kMidstream: return "midstream";
    case TcpState::kSynSent: return "syn_sent";
    case TcpState::kEstablished: return "established";
    case TcpState::kHalfClosed: return "half_closed";
    case TcpState::kClosed: return "closed";
    case TcpState::kReset: return "reset";
  }
  return "";
}

std::string_view to_string(NameSource s) {
  switch (s) {
    case NameSource::kNone: return "none";
    case NameSource::kSni: return "sni";
    case NameSource::kQuic: return "quic";
    case NameSource::kHttp: return "http";
    case NameSource::kDns: return "dns";
    case NameSource::kReport: return "report";
  }
  return "none";
}

std::string_view to_string(EndReason r) {
  switch (r) {
    case EndReason::kIdle: return "idle";
    case EndReason::kClosed: return "closed";
    case EndReason::kReused: return "reused";
    case EndReason::kEvicted: return "evicted";
    case EndReason::kEndOfInput: return "end_of_input";
  }
  return "";
}

namespace {

// The two stream feeds that serve a TCP flow's dissector, one a direction. Only TCP flows have
// them: most flows with a dissector are one DNS lookup over UDP, kept to the dissector alone.
struct StreamFeeds {
  StreamFeeds(std::unique_ptr<Dissector>& dissector, std::size_t max_pending)
      : of{StreamFeed(dissector, Direction::kFromClient, max_pending),
           StreamFeed(dissector, Direction::kFromServer, max_pending)} {}
  StreamFeed of[2];
};

// Ports on which a service listens, for telling client from server when no SYN says so:
// IANA's system ports, and registered ports that apps commonly talk to.
bool service_port(std::uint16_t port) {
  if (port != 0 && port < 1024) return true;
  switch (port) {
    case 1194: case 1433: case 1883: case 1900: case 3306: case 3478: case 3479: case 5060:
    case 5061: case 5222: case 5223: case 5228: case 5349: case 5353: case 5355: case 5432:
    case 6379: case 8000: case 8008: case 8080: case 8443: case 8883: case 9000: case 9443:
      return true;
    default:
      return false;
  }
}

// True when the packet's source is the client (RFC 9293 §3.5 for the SYN cases).
bool source_is_client(const decode::PacketView& p) {
  if (p.ip_proto == decode::ip_proto::kTcp && (p.tcp_flags & decode::tcp_flag::kSyn) != 0)
    return (p.tcp_flags & decode::tcp_flag::kAck) == 0;
  const bool src_service = service_port(p.src.port);
  const bool dst_service = service_port(p.dst.port);
  if (src_service != dst_service) return dst_service;
  return true;  // the first sender
}

}  // namespace

struct FlowTable::Slot {
  FlowCore rec;
  Key key;
  Lane lane = Lane::kOther;
  std::uint32_t prev = kNil;
  std::uint32_t next = kNil;
  bool syn = false;
  bool synack = false;
  bool rst = false;
  bool fin[2] = {false, false};
  bool datagrams_finished = false;  // the dissector's on_datagram said kFinished
  bool rechoose = false;            // it said kIdle and was dropped: choose again on more data
  // Send events (Config::send_merge_ns): their start times, the last new-payload packet's time,
  // and the client's highest sequence number sent (retransmissions are not new sends).
  bool out_seq_known = false;
  std::uint32_t out_seq_end = 0;
  std::int64_t last_send_ns = 0;
  decltype(FlowRecord::sends) sends;
  reassembly::TcpStream streams[2];
  // The feeds refer to `dissector` where it lies: slots never move (see chunks_).
  std::unique_ptr<Dissector> dissector;
  std::unique_ptr<StreamFeeds> feeds;  // TCP flows with a dissector
};

inline FlowTable::Slot& FlowTable::at(std::uint32_t slot) {
  return chunks_[slot >> kChunkBits][slot & (kChunkSlots - 1)];
}

FlowTable::FlowTable(const Config& config, const DissectorTable& dissectors, FlowSink& sink)
    : config_(config), dissectors_(dissectors), sink_(sink),
      reassembly_{config.reassembly, reassembly::Budget(config.reassembly.total_bytes), {}} {
  std::fill(std::begin(head_), std::end(head_), kNil);
  std::fill(std::begin(tail_), std::end(tail_), kNil);
}

FlowTable::~FlowTable() {
  for (std::uint32_t i = 0; i < slot_count_; ++i)
    for (auto& st : at(i).streams) st.release(reassembly_);
}

std::int64_t FlowTable::timeout(Lane lane) const {
  switch (lane) {
    case Lane::kTcp: return config_.tcp_idle_ns;
    case Lane::kTcpClosing: return config_.tcp_linger_ns;
    case Lane::kUdp: return config_.udp_idle_ns;
    case Lane::kOther:
    case Lane::kCount: break;
  }
  return config_.other_idle_ns;
}

void FlowTable::link_back(std::uint32_t slot, Lane lane) {
  Slot& s = at(slot);
  const auto l = static_cast<int>(lane);
  s.lane = lane;
  s.prev = tail_[l];
  s.next = kNil;
  if (tail_[l] != kNil) at(tail_[l]).next = slot;
  else head_[l] = slot;
  tail_[l] = slot;
}

void FlowTable::unlink(std::uint32_t slot) {
  Slot& s = at(slot);
  const auto l = static_cast<int>(s.lane);
  if (s.prev != kNil) at(s.prev).next = s.next;
  else head_[l] = s.next;
  if (s.next != kNil) at(s.next).prev = s.prev;
  else tail_[l] = s.prev;
  s.prev = s.next = kNil;
}

std::uint32_t FlowTable::create(const Key& key, const decode::PacketView& p,
                                std::uint64_t frame_number) {
  if (index_.size() >= config_.max_flows) {
    // Make room by ending the least recently active flow of any lane.
    std::uint32_t oldest = kNil;
    for (std::uint32_t h : head_)
      if (h != kNil && (oldest == kNil || at(h).rec.end < at(oldest).rec.end)) oldest = h;
    if (oldest != kNil) end(oldest, EndReason::kEvicted);
  }
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = slot_count_++;
    if ((slot & (kChunkSlots - 1)) == 0) chunks_.push_back(std::make_unique<Slot[]>(kChunkSlots));
  }
  Slot& s = at(slot);
  s.key = key;
  FlowCore& r = s.rec;
  r = FlowCore{};
  r.id = frame_number * 8 + std::min<std::uint8_t>(p.depth, 7);
  r.ip_proto = p.ip_proto;
  r.depth = p.depth;
  const bool client_first = source_is_client(p);
  r.client = client_first ? p.src : p.dst;
  r.server = client_first ? p.dst : p.src;
  r.first_from_server = !client_first;
  r.start = r.end = p.ts;
  r.app = p.app;
  index_.emplace(key, slot);

  ++counters_[FlowCounter::kFlows];
  if (p.ip_proto == decode::ip_proto::kTcp) ++counters_[FlowCounter::kTcpFlows];
  else if (p.ip_proto == decode::ip_proto::kUdp) ++counters_[FlowCounter::kUdpFlows];
  else ++counters_[FlowCounter::kOtherFlows];

  if (!dissectors_.empty()) {
    const Direction first = client_first ? Direction::kFromClient : Direction::kFromServer;
    s.dissector = dissectors_.choose(FlowContext{r.id, r.ip_proto, r.client, r.server, first, p.payload});
    if (s.dissector && p.ip_proto == decode::ip_proto::kTcp)
      s.feeds = std::make_unique<StreamFeeds>(s.dissector, config_.max_dissector_pending);
  }
  link_back(slot, p.ip_proto == decode::ip_proto::kTcp   ? Lane::kTcp
                  : p.ip_proto == decode::ip_proto::kUdp ? Lane::kUdp
                                                          : Lane::kOther);
  return slot;
}

void FlowTable::end(std::uint32_t slot, EndReason reason) {
  report(at(slot), reason);
  forget(slot);
}

void FlowTable::report(Slot& s, EndReason reason) {
  FlowRecord r;
  static_cast<FlowCore&>(r) = s.rec;
  if (r.ip_proto == decode::ip_proto::kTcp) {
    for (int d = 0; d < 2; ++d) {
      if (s.dissector && !s.feeds->of[d].finished())
        s.streams[d].close(reassembly_, &s.feeds->of[d]);
      else
        s.streams[d].release(reassembly_);
    }
    r.tcp_state = s.rst                   ? TcpState::kReset
                  : s.fin[0] && s.fin[1]  ? TcpState::kClosed
                  : s.fin[0] || s.fin[1]  ? TcpState::kHalfClosed
                  : s.syn && !s.synack    ? TcpState::kSynSent
                  : s.syn || s.synack     ? TcpState::kEstablished
                                          : TcpState::kMidstream;
  }
  if (s.feeds)
    for (const auto& f : s.feeds->of) counters_[FlowCounter::kDissectorDropped] += f.dropped();
  if (s.dissector) {
    s.dissector->on_close();
    s.dissector->annotate(r);
  }
  live_sends_ -= s.sends.size();
  r.sends = std::move(s.sends);
  s.sends.clear();
  r.end_reason = reason;
  switch (reason) {
    case EndReason::kIdle: ++counters_[FlowCounter::kEndedIdle]; break;
    case EndReason::kClosed: ++counters_[FlowCounter::kEndedClosed]; break;
    case EndReason::kReused: ++counters_[FlowCounter::kEndedReused]; break;
    case EndReason::kEvicted: ++counters_[FlowCounter::kEvicted]; break;
    case EndReason::kEndOfInput: ++counters_[FlowCounter::kEndedAtEnd]; break;
  }
  sink_.on_flow(r);
}

void FlowTable::forget(std::uint32_t slot) {
  Slot& s = at(slot);
  unlink(slot);
  index_.erase(s.key);
  s.feeds.reset();
  s.dissector.reset();
  s.streams[0] = reassembly::TcpStream();
  s.streams[1] = reassembly::TcpStream();
  s.syn = s.synack = s.rst = s.fin[0] = s.fin[1] = s.datagrams_finished = s.rechoose = false;
  s.out_seq_known = false;
  free_.push_back(slot);
}

void FlowTable::track_tcp(Slot& s, Direction dir, const decode::PacketView& p) {
  const std::uint8_t flags = p.tcp_flags;
  if ((flags & decode::tcp_flag::kSyn) != 0) ((flags & decode::tcp_flag::kAck) != 0 ? s.synack : s.syn) = true;
  if ((flags & decode::tcp_flag::kFin) != 0) s.fin[static_cast<int>(dir)] = true;
  if ((flags & decode::tcp_flag::kRst) != 0) s.rst = true;

  auto& stream = s.streams[static_cast<int>(dir)];
  if (!s.dissector) {
    stream.on_segment(p.seq, p.payload, flags, reassembly_, nullptr);
    return;
  }
  StreamFeed& feed = s.feeds->of[static_cast<int>(dir)];
  feed.set_time(p.ts);
  // A direction the dissector is finished with is tracked as without a dissector: nothing kept.
  stream.on_segment(p.seq, p.payload, flags, reassembly_, feed.finished() ? nullptr : &feed);
  if (!s.dissector) {  // the feed detached it
    ++counters_[FlowCounter::kDissectorRejects];
    for (const auto& f : s.feeds->of) counters_[FlowCounter::kDissectorDropped] += f.dropped();
    s.feeds.reset();
  }
}

void FlowTable::track_send(Slot& s, const decode::PacketView& p, bool tcp) {
  if (tcp) {
    // From the headers, not the reassembler's tracking: that follows the bytes captured, and a
    // capture of headers only (a small snap length, enough for timing) has none of them.
    const std::uint32_t end = p.seq + static_cast<std::uint32_t>(p.payload_len);
    // Serial-number arithmetic (RFC 1982): a segment that ends at or before the highest byte
    // already sent is a retransmission.
    if (s.out_seq_known && static_cast<std::int32_t>(end - s.out_seq_end) <= 0) return;
    s.out_seq_known = true;
    s.out_seq_end = end;
  }
  const std::int64_t t = p.ts.ns;
  const bool same_event = !s.sends.empty() && t - s.last_send_ns <= config_.send_merge_ns;
  s.last_send_ns = std::max(s.last_send_ns, t);
  if (same_event) return;
  if (s.sends.size() >= config_.max_sends_per_flow || live_sends_ >= config_.max_live_sends) {
    ++counters_[FlowCounter::kSendsDropped];
    return;
  }
  s.sends.push_back(t);
  ++live_sends_;
}

void FlowTable::expire(core::Timestamp now) {
  for (int l = 0; l < static_cast<int>(Lane::kCount); ++l) {
    const auto lane = static_cast<Lane>(l);
    const std::int64_t limit = timeout(lane);
    while (head_[l] != kNil && now.ns - at(head_[l]).rec.end.ns > limit)
      end(head_[l], lane == Lane::kTcpClosing ? EndReason::kClosed : EndReason::kIdle);
  }
}

void FlowTable::on_packet(const decode::PacketView& p, std::uint64_t frame_number) {
  expire(p.ts);
  const Key key = key_of(p);
  const bool tcp = p.ip_proto == decode::ip_proto::kTcp;

  std::uint32_t slot;
  if (auto it = index_.find(key); it == index_.end()) {
    slot = create(key, p, frame_number);
  } else {
    slot = it->second;
    const Slot& old = at(slot);
    const bool fresh_syn = (p.tcp_flags & (decode::tcp_flag::kSyn | decode::tcp_flag::kAck)) ==
                           decode::tcp_flag::kSyn;
    if (tcp && fresh_syn && (old.rst || (old.fin[0] && old.fin[1]))) {
      end(slot, EndReason::kReused);
      slot = create(key, p, frame_number);
    }
  }

  Slot& s = at(slot);
  FlowCore& r = s.rec;
  const Direction dir = p.src == r.client ? Direction::kFromClient : Direction::kFromServer;
  const auto d = static_cast<int>(dir);
  r.packets[d] += p.frames;
  r.bytes[d] += p.wire_len;
  r.payload_bytes[d] += p.payload_len;
  r.end = std::max(r.end, p.ts);
  if (r.app == core::kNoApp) r.app = p.app;
  if (config_.send_merge_ns > 0 && dir == Direction::kFromClient && p.payload_len > 0) track_send(s, p, tcp);

  if (tcp) {
    track_tcp(s, dir, p);
  } else if ((s.dissector || s.rechoose) && !s.datagrams_finished) {
    if (!s.dissector) {
      s.rechoose = false;
      s.dissector = dissectors_.choose(FlowContext{r.id, r.ip_proto, r.client, r.server, dir, p.payload});
    }
    if (s.dissector) {
      const Progress::Kind kind = s.dissector->on_datagram(dir, p.ts, p.payload).kind;
      if (kind == Progress::Kind::kReject) {
        ++counters_[FlowCounter::kDissectorRejects];
        s.dissector.reset();
      } else if (kind == Progress::Kind::kFinished) {
        s.datagrams_finished = true;
      } else if (kind == Progress::Kind::kIdle) {
        // A DNS flow is mostly one lookup: its dissector goes once answered, rather than
        // waiting for the flow to end, so that memory follows what is pending, not flows.
        s.dissector.reset();
        s.rechoose = true;
      }
    }
  }

  const Lane lane = !tcp                                ? s.lane
                    : s.rst || (s.fin[0] && s.fin[1])  ? Lane::kTcpClosing
                                                        : Lane::kTcp;
  if (s.next != kNil || lane != s.lane) {
    unlink(slot);
    link_back(slot, lane);
  }
}

void FlowTable::finish() {
  // Everything ends at once: report each flow, then drop the whole table rather than undoing
  // the lists and the index one flow at a time.
  for (int l = 0; l < static_cast<int>(Lane::kCount); ++l)
    for (std::uint32_t i = head_[l]; i != kNil; i = at(i).next) report(at(i), EndReason::kEndOfInput);
  index_.clear();
  chunks_.clear();
  slot_count_ = 0;
  free_.clear();
  std::fill(std::begin(head_), std::end(head_), kNil);
  std::fill(std::begin(tail_), std::end(tail_), kNil);
}

}  // namespace tattle::flow
