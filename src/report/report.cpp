#include "report/report.hpp"

#include <algorithm>

#include "core/timestamp.hpp"
#include "decode/packet.hpp"

namespace tattle::report {

namespace {

// Names from tcpdump.org's link-layer header types list, for the link types we decode.
std::string_view link_type_name(std::uint32_t t) {
  switch (t) {
    case 0: return "null";
    case 1: return "ethernet";
    case 9: return "ppp";
    case 12: case 14: case 101: return "raw";
    case 50: return "ppp_hdlc";
    case 108: return "loop";
    case 113: return "linux_sll";
    case 149: case 258: return "pktap";
    case 228: return "ipv4";
    case 229: return "ipv6";
    case 239: return "nflog";
    case 276: return "linux_sll2";
    default: return "";
  }
}

void write_app(JsonWriter& w, core::AppId id, const core::AppRegistry& apps) {
  if (id == core::kNoApp) {
    w.null();
    return;
  }
  const core::AppInfo a = apps.get(id);
  w.begin_object();
  w.member("name", apps.display_name(id));
  if (a.pid >= 0) {
    w.member("pid", a.pid);
  }
  if (!a.effective_name.empty()) {
    w.member("effective_name", a.effective_name);
  }
  if (a.effective_pid >= 0) {
    w.member("effective_pid", a.effective_pid);
  }
  if (a.uid >= 0) {
    w.member("uid", a.uid);
  }
  w.end_object();
}

// `k`: the text, or null when it is empty.
void optional_string(JsonWriter& w, std::string_view k, const std::string& text) {
  w.key(k);
  if (text.empty()) w.null();
  else w.value(text);
}

void strings(JsonWriter& w, std::string_view k, const std::vector<std::string>& list) {
  w.key(k);
  w.begin_array();
  for (const auto& item : list) w.value(item);
  w.end_array();
}

template <class E>
void write_counters(JsonWriter& w, const core::Counters<E>& c) {
  w.begin_object();
  c.visit([&](std::string_view name, core::Counter v) {
    w.member(name, v);
  });
  w.end_object();
}

void write_input(JsonWriter& w, const InputReport& in) {
  const capture::InputInfo& i = in.info;
  w.begin_object();
  w.member("path", i.path);
  if (!in.error.empty()) {
    w.member("error", in.error);
  }
  w.member("format", i.format);
  w.member("gzip", i.gzip);
  w.key("link_types");
  w.begin_array();
  for (auto t : i.link_types) {
    w.begin_object();
    w.member("type", t);
    w.member("name", link_type_name(t));
    w.end_object();
  }
  w.end_array();
  w.member("packets", i.packets);
  w.member("bytes", i.bytes);
  w.key("first");
  if (i.packets > 0) w.value(core::iso8601(i.first));
  else w.null();
  w.key("last");
  if (i.packets > 0) w.value(core::iso8601(i.last));
  else w.null();
  w.member("name_records", static_cast<std::uint64_t>(in.name_records));
  w.member("secrets", static_cast<std::uint64_t>(in.secrets));
  w.member("warnings_total", in.warnings.total);
  w.key("warnings");
  w.begin_array();
  for (const auto& warn : in.warnings.kept) {
    w.begin_object();
    w.member("offset", warn.offset);
    w.member("message", warn.message);
    w.end_object();
  }
  w.end_array();
  w.key("counters");
  write_counters(w, i.counters);
  w.end_object();
}

}  // namespace

std::string_view proto_name(std::uint8_t ip_proto) {
  switch (ip_proto) {
    case decode::ip_proto::kTcp: return "tcp";
    case decode::ip_proto::kUdp: return "udp";
    case decode::ip_proto::kIcmp: return "icmp";
    case decode::ip_proto::kIcmp6: return "icmp6";
    default: return "";
  }
}

void write_flow(JsonWriter& w, const flow::FlowRecord& f, const core::AppRegistry& apps, std::string_view type) {
  w.begin_object();
  if (!type.empty()) w.member("type", type);
  w.member("id", f.id);
  w.key("proto");
  if (const auto name = proto_name(f.ip_proto); !name.empty()) w.value(name);
  else w.value(std::to_string(f.ip_proto));
  w.member("client", core::text(f.client).view());
  w.member("server", core::text(f.server).view());
  optional_string(w, "name", f.name);
  w.member("name_source", flow::to_string(f.name_source));
  strings(w, "names", f.names);
  optional_string(w, "sni", f.sni);
  strings(w, "alpn", f.alpn);
  optional_string(w, "ja4", f.ja4);
  strings(w, "tls_versions", f.tls_versions);
  w.key("http_host");
  if (f.http_requests.empty() || f.http_requests.front().host.empty()) w.null();
  else w.value(f.http_requests.front().host);
  w.key("http_requests");
  w.begin_array();
  for (const auto& q : f.http_requests) {
    w.begin_object();
    w.member("method", q.method);
    optional_string(w, "host", q.host);
    w.member("target", q.target);
    optional_string(w, "user_agent", q.user_agent);
    w.end_object();
  }
  w.end_array();
  w.member("start", core::iso8601_text(f.start).view());
  w.member("end", core::iso8601_text(f.end).view());
  w.member("first_packet", f.first_from_server ? "server" : "client");
  w.member("packets_out", f.packets[0]);
  w.member("packets_in", f.packets[1]);
  w.member("bytes_out", f.bytes[0]);
  w.member("bytes_in", f.bytes[1]);
  w.member("payload_out", f.payload_bytes[0]);
  w.member("payload_in", f.payload_bytes[1]);
  if (f.ip_proto == decode::ip_proto::kTcp) {
    w.member("tcp_state", flow::to_string(f.tcp_state));
  }
  w.member("end_reason", flow::to_string(f.end_reason));
  if (f.depth > 0) {
    w.member("tunnel_depth", static_cast<std::uint64_t>(f.depth));
  }
  w.key("app");
  write_app(w, f.app, apps);
  w.end_object();
}

namespace {
std::string rcode_name(std::uint8_t rcode) {
  static constexpr std::string_view kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  if (rcode < std::size(kNames)) return std::string(kNames[rcode]);
  return fmt::format("RCODE{}", rcode);
}
}  // namespace

void write_dns(JsonWriter& w, const dissect::DnsTransaction& t, std::string_view type) {
  w.begin_object();
  if (!type.empty()) w.member("type", type);
  w.member("time", core::iso8601_text(t.time).view());
  w.member("flow", t.flow_id);
  w.member("proto", proto_name(t.ip_proto));
  w.member("client", core::text(t.client).view());
  w.member("server", core::text(t.server).view());
  w.member("id", static_cast<std::uint64_t>(t.id));
  w.member("qname", t.qname);
  w.member("qtype", dissect::dns_type_name(t.qtype));
  if (!t.more_questions.empty()) {
    w.key("more_questions");
    w.begin_array();
    for (const auto& q : t.more_questions) {
      w.begin_object();
      w.member("name", q.name);
      w.member("type", dissect::dns_type_name(q.type));
      w.end_object();
    }
    w.end_array();
  }
  w.key("rcode");
  if (t.answered) w.value(rcode_name(t.rcode));
  else w.null();
  w.key("rtt");
  if (t.answered && t.response_time >= t.time) w.value(static_cast<double>(t.response_time.ns - t.time.ns) / 1e9);
  else w.null();
  w.key("answers");
  w.begin_array();
  for (const auto& a : t.answers) {
    w.begin_object();
    w.member("name", a.name);
    w.member("type", dissect::dns_type_name(a.type));
    w.member("ttl", a.ttl);
    if (!a.target.empty()) w.member("target", a.target);
    if (!a.addresses.empty()) {
      w.key("addresses");
      w.begin_array();
      for (const auto& addr : a.addresses) w.value(core::text(addr).view());
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

JsonReport::JsonReport(std::FILE* out, const core::AppRegistry& apps)
    : writer_(out), apps_(apps), spool_(std::tmpfile()), dns_(spool_.get()) {
  dns_.begin_items();
  writer_.begin_object();
  writer_.member("schema", kSchema);
  writer_.key("tool");
  writer_.begin_object();
  writer_.member("name", "tattle");
  writer_.member("version", TATTLE_VERSION);
  writer_.end_object();
  writer_.key("flows");
  writer_.begin_array();
}

void JsonReport::on_flow(const flow::FlowRecord& f) {
  writer_.break_before_next();
  write_flow(writer_, f, apps_);
}

void JsonReport::on_dns(const dissect::DnsTransaction& t) {
  if (spool_ == nullptr) return;
  dns_.break_before_next();
  write_dns(dns_, t);
}

void JsonReport::finish(const RunStats& s) {
  writer_.end_array();
  writer_.break_before_next();
  writer_.key("dns");
  writer_.begin_array();
  if (spool_ == nullptr || !dns_.flush() || !writer_.splice(spool_.get()))
    fmt::print(stderr, "tattle: the DNS transactions could not be kept for the report (temporary file)\n");
  writer_.end_array();
  writer_.break_before_next();
  writer_.key("inputs");
  writer_.begin_array();
  for (const auto& in : s.inputs) write_input(writer_, in);
  writer_.end_array();
  writer_.break_before_next();
  writer_.key("stats");
  writer_.begin_object();
  writer_.member("frames", s.frames);
  writer_.member("threads", static_cast<std::uint64_t>(s.threads));
  writer_.member("warnings", s.warnings);
  writer_.member("apps", s.apps);
  writer_.member("apps_dropped", s.apps_dropped);
  writer_.key("decode");
  write_counters(writer_, s.decode);
  writer_.key("unknown_link_types");
  writer_.begin_object();
  for (const auto& [type, n] : s.unknown_link_types) {
    writer_.member(std::to_string(type), n);
  }
  writer_.end_object();
  writer_.key("reassembly");
  write_counters(writer_, s.reassembly);
  writer_.key("flows");
  write_counters(writer_, s.flows);
  writer_.key("dns");
  write_counters(writer_, s.dns);
  writer_.key("tcp_payload");
  write_counters(writer_, s.tcp_payload);
  writer_.key("tls");
  write_counters(writer_, s.tls);
  writer_.key("quic");
  write_counters(writer_, s.quic);
  writer_.key("http");
  write_counters(writer_, s.http);
  writer_.member("resolutions_dropped", s.resolutions_dropped);
  writer_.end_object();
  writer_.end_object();
  writer_.newline();
  writer_.flush();
}

void NdjsonSink::on_flow(const flow::FlowRecord& f) {
  write_flow(writer_, f, apps_, "flow");
  writer_.newline();
}

void NdjsonSink::on_dns(const dissect::DnsTransaction& t) {
  write_dns(writer_, t, "dns");
  writer_.newline();
}

namespace {
std::uint64_t total_bytes(const flow::FlowRecord& f) { return f.bytes[0] + f.bytes[1]; }
bool more_bytes(const flow::FlowRecord& a, const flow::FlowRecord& b) {
  return total_bytes(a) > total_bytes(b);
}

// Endpoints as people read them: no port for protocols that have none.
std::string endpoint_text(const flow::FlowRecord& f, const core::Endpoint& e) {
  if (f.ip_proto == decode::ip_proto::kTcp || f.ip_proto == decode::ip_proto::kUdp) return core::to_string(e);
  return core::to_string(e.addr);
}

std::string human_bytes(std::uint64_t n) {
  if (n >= 10'000'000'000ULL) return fmt::format("{:.1f} GB", static_cast<double>(n) / 1e9);
  if (n >= 10'000'000) return fmt::format("{:.1f} MB", static_cast<double>(n) / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f} kB", static_cast<double>(n) / 1e3);
  return fmt::format("{} B", n);
}
}  // namespace

void TextSummary::on_flow(const flow::FlowRecord& f) {
  ++flows_;
  if (!f.name.empty()) ++named_;
  bytes_ += total_bytes(f);
  if (f.app != core::kNoApp) {
    auto it = std::find_if(app_flows_.begin(), app_flows_.end(),
                           [&](const auto& e) { return e.first == f.app; });
    if (it == app_flows_.end()) app_flows_.emplace_back(f.app, 1);
    else ++it->second;
  }
  if (top_.size() < kTopFlows) {
    top_.push_back(f);
    std::push_heap(top_.begin(), top_.end(), more_bytes);
  } else if (total_bytes(f) > total_bytes(top_.front())) {
    std::pop_heap(top_.begin(), top_.end(), more_bytes);
    top_.back() = f;
    std::push_heap(top_.begin(), top_.end(), more_bytes);
  }
}

void TextSummary::finish(const RunStats& s) {
  for (const auto& in : s.inputs) {
    const auto& i = in.info;
    if (!in.error.empty()) {
      fmt::print(out_, "{}: not read: {}\n", i.path, in.error);
      continue;
    }
    fmt::print(out_, "{}: {}{}, {} packets, {}", i.path, i.format, i.gzip ? " (gzip)" : "", i.packets,
               human_bytes(i.bytes));
    if (i.packets > 0) fmt::print(out_, ", {} .. {}", core::iso8601(i.first), core::iso8601(i.last));
    if (in.warnings.total > 0) fmt::print(out_, ", {} warnings", in.warnings.total);
    fmt::print(out_, "\n");
  }
  fmt::print(out_, "\n{} flows ({} tcp, {} udp, {} other), {} on the wire\n", flows_,
             s.flows[flow::FlowCounter::kTcpFlows], s.flows[flow::FlowCounter::kUdpFlows],
             s.flows[flow::FlowCounter::kOtherFlows], human_bytes(bytes_));
  fmt::print(out_, "{} DNS transactions; {} of the flows named\n", dns_, named_);
  std::sort(top_.begin(), top_.end(), more_bytes);
  if (!top_.empty()) {
    fmt::print(out_, "\nTop flows by bytes:\n");
    fmt::print(out_, "  {:<5} {:<46} {:<46} {:>9} {:>10} {:>10}  {}\n", "proto", "client", "server",
               "packets", "out", "in", "app");
    for (const auto& f : top_) {
      const auto name = proto_name(f.ip_proto);
      fmt::print(out_, "  {:<5} {:<46} {:<46} {:>9} {:>10} {:>10}  {}\n",
                 name.empty() ? std::to_string(f.ip_proto) : std::string(name), endpoint_text(f, f.client),
                 f.name.empty() ? endpoint_text(f, f.server) : fmt::format("{} ({})", f.name, endpoint_text(f, f.server)),
                 f.packets[0] + f.packets[1], human_bytes(f.bytes[0]),
                 human_bytes(f.bytes[1]), apps_.display_name(f.app));
    }
  }
  if (!app_flows_.empty()) {
    std::sort(app_flows_.begin(), app_flows_.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    fmt::print(out_, "\nApps named by the capture:\n");
    for (const auto& [app, n] : app_flows_) fmt::print(out_, "  {:<40} {} flows\n", apps_.display_name(app), n);
  }
  const auto& d = s.decode;
  const std::uint64_t skipped = d[decode::DecodeCounter::kMalformed] + d[decode::DecodeCounter::kTruncated] +
                                d[decode::DecodeCounter::kUnknownLinkType];
  fmt::print(out_, "\n{} frames: {} IPv4, {} IPv6, {} not IP; {} malformed or truncated or of unknown link type\n",
             s.frames, d[decode::DecodeCounter::kIpv4], d[decode::DecodeCounter::kIpv6],
             d[decode::DecodeCounter::kNonIp], skipped);
  const auto& r = s.reassembly;
  fmt::print(out_, "TCP: {} out-of-order segments, {} retransmitted bytes, {} gaps ({} bytes missing)\n",
             r[reassembly::ReassemblyCounter::kOutOfOrder], r[reassembly::ReassemblyCounter::kRetransmittedBytes],
             r[reassembly::ReassemblyCounter::kGaps], r[reassembly::ReassemblyCounter::kBytesMissing]);
  if (s.warnings > 0) fmt::print(out_, "{} warnings about damaged input (see above, or --json)\n", s.warnings);
  std::fflush(out_);
}

}  // namespace tattle::report
