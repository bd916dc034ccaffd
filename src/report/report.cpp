#include "report/report.hpp"

#include <algorithm>
#include <bit>
#include <tuple>

#include <absl/container/flat_hash_map.h>

#include "core/timestamp.hpp"
#include "decode/packet.hpp"
#include "report/messages.hpp"

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
void optional_string(JsonWriter& w, std::string_view k, std::string_view text) {
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

void views(JsonWriter& w, std::string_view k, const std::vector<std::string_view>& list) {
  w.key(k);
  w.begin_array();
  for (const auto item : list) w.value(item);
  w.end_array();
}

void owner_name(JsonWriter& w, std::string_view k, const core::Owner* o) {
  w.key(k);
  if (o == nullptr) w.null();
  else w.value(o->name);
}

// "asn", "as_name", "country", "anycast" of a place; nulls when unknown.
void write_place(JsonWriter& w, const core::Place* p, bool with_details) {
  w.key("asn");
  if (p == nullptr || p->asn == 0) w.null();
  else w.value(static_cast<std::uint64_t>(p->asn));
  if (with_details) {
    w.key("as_name");
    if (p == nullptr || p->as_name.empty()) w.null();
    else w.value(p->as_name);
  }
  w.key("country");
  if (p == nullptr || p->country.empty()) w.null();
  else w.value(p->country);
  if (with_details) w.member("anycast", p != nullptr && p->anycast);
}

// "owner", "owner_parent", "owner_jurisdiction", "owner_headquarters", "jurisdictions", "front".
void write_owner(JsonWriter& w, const core::Owner* o, const core::Owner* front) {
  owner_name(w, "owner", o);
  owner_name(w, "owner_parent", o != nullptr && o->parent != nullptr ? &o->top() : nullptr);
  w.key("owner_jurisdiction");
  if (o == nullptr) w.null();
  else w.value(o->jurisdiction);
  w.key("owner_headquarters");
  if (o == nullptr || o->headquarters.empty()) w.null();
  else w.value(o->headquarters);
  strings(w, "jurisdictions", o != nullptr ? o->jurisdictions() : std::vector<std::string>{});
  owner_name(w, "front", front);
}

// "ip", "port", "proto"; nulls for records with no server address (App Privacy Report).
void write_server(JsonWriter& w, const core::Endpoint& server, std::uint8_t ip_proto) {
  if (server.addr.version == 0) {
    for (const auto* k : {"ip", "port", "proto"}) {
      w.key(k);
      w.null();
    }
    return;
  }
  w.member("ip", core::text(server.addr).view());
  w.member("port", static_cast<std::uint64_t>(server.port));
  w.key("proto");
  if (const auto name = proto_name(ip_proto); !name.empty()) w.value(name);
  else w.value(std::to_string(ip_proto));
}

void write_apps(JsonWriter& w, const std::vector<core::AppId>& ids, const core::AppRegistry& apps) {
  w.key("apps");
  w.begin_array();
  for (const auto id : ids) w.value(apps.display_name(id));
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
  if (i.format == "app-privacy-report" || i.format == "har") w.member("records", in.records);
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
  if (f.server.addr.version == 0) {  // an App Privacy Report record: no packets, no endpoints
    for (const auto* k : {"proto", "client", "server"}) {
      w.key(k);
      w.null();
    }
  } else {
    w.key("proto");
    if (const auto name = proto_name(f.ip_proto); !name.empty()) w.value(name);
    else w.value(std::to_string(f.ip_proto));
    w.member("client", core::text(f.client).view());
    w.member("server", core::text(f.server).view());
  }
  optional_string(w, "name", f.name);
  w.member("name_source", flow::to_string(f.name_source));
  strings(w, "names", f.names);
  optional_string(w, "sni", f.sni);
  strings(w, "alpn", f.alpn);
  optional_string(w, "ja4", f.ja4);
  strings(w, "tls_versions", f.tls_versions);
  w.member("decrypted", f.decrypted);
  optional_string(w, "decrypt_reason", f.decrypt_reason);
  w.key("http_host");
  if (f.http_requests.empty() || f.http_requests.front().host().empty()) w.null();
  else w.value(f.http_requests.front().host());
  w.key("http_requests");
  w.begin_array();
  for (const auto& q : f.http_requests) {
    w.begin_object();
    w.member("method", q.method());
    optional_string(w, "host", q.host());
    w.member("target", q.target());
    optional_string(w, "user_agent", q.user_agent());
    w.end_object();
  }
  w.end_array();
  owner_name(w, "owner", f.owner);
  owner_name(w, "front", f.front);
  write_place(w, f.place.get(), false);
  views(w, "tags", f.tags);
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
  if (f.hits > 0) w.member("hits", f.hits);
  if (f.depth > 0) {
    w.member("tunnel_depth", static_cast<std::uint64_t>(f.depth));
  }
  w.key("app");
  write_app(w, f.app, apps);
  w.end_object();
}

namespace {
core::FixedText<8> rcode_name(std::uint8_t rcode) {
  static constexpr std::string_view kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  core::FixedText<8> out;
  if (rcode < std::size(kNames))
    out.finish(std::copy(kNames[rcode].begin(), kNames[rcode].end(), out.begin()));
  else
    out.finish(fmt::format_to(out.begin(), "RCODE{}", rcode));  // "RCODE255" at most
  return out;
}

// Texts kept in a small table on this thread, by key: the DNS log names the same few resolvers
// and clients, and many of the same answer addresses, over and over; each text is written once.
template <class Key, std::size_t Size, std::size_t Slots>
class TextMemo {
  static_assert(std::has_single_bit(Slots));

 public:
  // `hash`: well mixed in its top bits, which choose the slot.
  template <class Make>
  std::string_view get(const Key& key, std::uint64_t hash, Make make) {
    Entry& e = entries_[hash >> (64 - std::countr_zero(Slots))];
    if (!e.filled || !(e.key == key)) {
      e.key = key;
      e.text = make(key);
      e.filled = true;
    }
    return e.text.view();
  }

 private:
  struct Entry {
    Key key{};
    core::FixedText<Size> text;
    bool filled = false;
  };
  std::array<Entry, Slots> entries_{};
};

std::uint64_t hash_of(const core::IpAddress& a, std::uint64_t more = 0) {
  return (a.word(0) ^ a.word(1) * 0x9e3779b97f4a7c15ull ^ more) * 0xff51afd7ed558ccdull;
}

std::string_view address_text(const core::IpAddress& a) {
  thread_local TextMemo<core::IpAddress, core::kAddressTextMax, 256> memo;
  return memo.get(a, hash_of(a), [](const core::IpAddress& x) { return core::text(x); });
}

// A server's port is always the same, a resolver's 53: kept with its address. (A client's
// changes with every query: its address is kept, its port written each time.)
std::string_view server_text(const core::Endpoint& e) {
  thread_local TextMemo<core::Endpoint, core::kEndpointTextMax, 64> memo;
  return memo.get(e, hash_of(e.addr, e.port), [](const core::Endpoint& x) { return core::text(x); });
}

// A type's mnemonic as it is, without building its text, for the few types that have one here.
char* put_type(char* p, std::uint16_t type) {
  const std::string_view m = dissect::dns_type_mnemonic(type);
  return m.empty() ? JsonWriter::put(p, dissect::dns_type_name(type).view()) : JsonWriter::put(p, m);
}

// Room enough for put_dns(t, type).
std::size_t dns_record_bound(const dissect::DnsTransaction& t, std::string_view type) {
  const auto quoted = [](std::string_view s) { return 6 * s.size() + 2; };  // JsonWriter::put_quoted's bound
  std::size_t max = 512 + quoted(type) + quoted(t.qname);
  for (const auto& q : t.more_questions) max += 64 + quoted(q.name);
  for (const auto& a : t.answers)
    max += 128 + quoted(a.name) + quoted(a.target) + a.addresses.size() * (core::kAddressTextMax + 4);
  return max;
}

// Written raw, in one go: the DNS log has a record for every lookup, often most of a report.
char* put_dns(char* p, const dissect::DnsTransaction& t, std::string_view type) {
  using J = JsonWriter;
  // `{"name":…,"type":"…"`, of a question or a record, the i-th of its array.
  const auto name_and_type = [](char* p, std::size_t i, std::string_view name, std::uint16_t type) {
    p = J::put(p, i == 0 ? "{\"name\":" : ",{\"name\":");
    p = J::put(J::put_quoted(p, name), ",\"type\":\"");
    return J::put(put_type(p, type), "\"");
  };
  p = J::put(p, "{");
  if (!type.empty()) p = J::put(J::put_quoted(J::put(p, "\"type\":"), type), ",");
  p = J::put(J::put(J::put(p, "\"time\":\""), core::iso8601_text(t.time).view()), "\",\"flow\":");
  p = J::put(J::put_uint(p, t.flow_id), ",\"proto\":");
  p = J::put(J::put(J::put(p, "\""), proto_name(t.ip_proto)), "\",\"client\":\"");  // our own word
  p = J::put(core::put_endpoint(p, t.client, address_text(t.client.addr)), "\",\"server\":\"");
  p = J::put(J::put(p, server_text(t.server)), "\",\"id\":");
  p = J::put(J::put_uint(p, t.id), ",\"qname\":");
  p = J::put(J::put_quoted(p, t.qname), ",\"qtype\":\"");
  p = J::put(put_type(p, t.qtype), "\",");
  if (!t.more_questions.empty()) {
    p = J::put(p, "\"more_questions\":[");
    for (std::size_t i = 0; i < t.more_questions.size(); ++i)
      p = J::put(name_and_type(p, i, t.more_questions[i].name, t.more_questions[i].type), "}");
    p = J::put(p, "],");
  }
  p = J::put(p, "\"rcode\":");
  p = t.answered ? J::put(J::put(J::put(p, "\""), rcode_name(t.rcode).view()), "\"") : J::put(p, "null");
  p = J::put(p, ",\"rtt\":");
  p = t.answered && t.response_time >= t.time ? J::put_seconds(p, t.response_time.ns - t.time.ns) : J::put(p, "null");
  p = J::put(p, ",\"answers\":[");
  for (std::size_t i = 0; i < t.answers.size(); ++i) {
    const auto& a = t.answers[i];
    p = J::put_uint(J::put(name_and_type(p, i, a.name, a.type), ",\"ttl\":"), a.ttl);
    if (!a.target.empty()) p = J::put_quoted(J::put(p, ",\"target\":"), a.target);
    if (!a.addresses.empty()) {
      p = J::put(p, ",\"addresses\":[");
      for (std::size_t k = 0; k < a.addresses.size(); ++k) {
        if (k > 0) *p++ = ',';
        p = J::put(J::put(J::put(p, "\""), address_text(a.addresses[k])), "\"");
      }
      p = J::put(p, "]");
    }
    p = J::put(p, "}");
  }
  return J::put(p, "]}");
}

}  // namespace

void write_dns(JsonWriter& w, const dissect::DnsTransaction& t, std::string_view type) {
  w.end_raw(put_dns(w.begin_raw(dns_record_bound(t, type)), t, type));
}

void write_destination(JsonWriter& w, const enrich::Destination& d, const core::AppRegistry& apps,
                       std::string_view type) {
  w.begin_object();
  if (!type.empty()) w.member("type", type);
  write_server(w, d.server, d.ip_proto);
  strings(w, "names", d.names);
  w.key("front_names");
  w.begin_array();
  for (std::size_t i = 0; i < d.names.size(); ++i)
    if ((d.front_names >> i) & 1u) w.value(d.names[i]);
  w.end_array();
  write_place(w, d.place.get(), true);
  write_owner(w, d.owner, d.front);
  views(w, "tags", d.tags);
  write_apps(w, d.apps, apps);
  w.member("flows", d.flows);
  if (d.hits > 0) w.member("hits", d.hits);
  w.member("bytes_out", d.bytes_out);
  w.member("bytes_in", d.bytes_in);
  w.member("first", core::iso8601_text(d.first).view());
  w.member("last", core::iso8601_text(d.last).view());
  w.end_object();
}

void write_finding(JsonWriter& w, const detect::Finding& f, const core::AppRegistry& apps, std::string_view type) {
  w.begin_object();
  if (!type.empty()) w.member("type", type);
  w.member("kind", "policy");
  w.member("rule", f.rule);
  w.member("value", f.value);
  write_server(w, f.server, f.ip_proto);
  optional_string(w, "name", f.name);
  write_place(w, f.place.get(), false);
  write_owner(w, f.owner, nullptr);
  write_apps(w, f.apps, apps);
  w.member("flows", f.flows);
  w.key("flow_ids");
  w.begin_array();
  for (const auto id : f.flow_ids) w.value(id);
  w.end_array();
  w.member("bytes_out", f.bytes_out);
  w.member("bytes_in", f.bytes_in);
  w.member("first", core::iso8601_text(f.first).view());
  w.member("last", core::iso8601_text(f.last).view());
  w.end_object();
}

void write_keystroke_finding(JsonWriter& w, const detect::KeystrokeFinding& f, const detect::KeystrokeOffset& offset,
                             const core::AppRegistry& apps, std::string_view type) {
  w.begin_object();
  if (!type.empty()) w.member("type", type);
  w.member("kind", "keystroke");
  w.member("destination", core::text(f.server).view());
  write_server(w, f.server, f.ip_proto);
  optional_string(w, "name", f.name);
  write_place(w, f.place.get(), false);
  write_owner(w, f.owner, nullptr);
  write_apps(w, f.apps, apps);
  w.member("keystrokes", static_cast<std::uint64_t>(f.keystrokes));
  w.member("coupled", static_cast<std::uint64_t>(f.coupled));
  w.member("sends", static_cast<std::uint64_t>(f.sends));
  w.member("sends_unexplained", static_cast<std::uint64_t>(f.sends - f.explained));
  w.member("p_value", f.p_value);
  w.member("q_value", f.q_value);
  w.member("median_lag_ms", f.median_lag_ms);
  w.key("lag_window_ms");
  w.begin_array();
  w.value(static_cast<std::int64_t>(f.window.lo / 1'000'000));
  w.value(static_cast<std::int64_t>(f.window.hi / 1'000'000));
  w.end_array();
  w.member("pattern", detect::to_string(f.pattern));
  w.member("flagged_by", f.by_flow ? "flow" : "destination");
  w.member("offset_s", static_cast<double>(offset.ns) / 1e9);
  w.member("offset_source", detect::to_string(offset.source));
  w.key("flow_ids");
  w.begin_array();
  for (const auto id : f.flow_ids) w.value(id);
  w.end_array();
  w.key("messages");
  w.begin_array();
  for (const auto& m : f.messages) {
    w.begin_object();
    w.member("flow", m.flow);
    w.member("stream", m.stream);
    w.end_object();
  }
  w.end_array();
  w.member("messages_total", static_cast<std::uint64_t>(f.messages_total));
  w.member("raster", f.raster);
  w.end_object();
}

void write_keystroke_run(JsonWriter& w, const KeystrokeRun& k, std::string_view type) {
  const detect::KeystrokeDetector& d = *k.detector;
  const detect::KeystrokeOffset& o = d.offset();
  w.begin_object();
  if (!type.empty()) w.member("type", type);
  w.member("log", k.path);
  w.member("format", capture::to_string(k.format));
  w.member("clock", k.epoch ? "epoch" : "own");
  strings(w, "devices", k.devices);
  w.member("keystrokes", static_cast<std::uint64_t>(d.keystrokes()));
  w.member("lines", k.counts.lines);
  w.member("bad_lines", k.counts.bad_lines);
  w.member("other_events", k.counts.other_events);
  w.member("other_devices", k.counts.other_devices);
  w.member("dropped", k.counts.dropped);
  w.key("offset");
  w.begin_object();
  w.member("source", detect::to_string(o.source));
  w.key("seconds");
  if (o.source == detect::OffsetSource::kNone) w.null();
  else w.value(static_cast<double>(o.ns) / 1e9);
  if (o.source == detect::OffsetSource::kEstimated || o.source == detect::OffsetSource::kClock ||
      o.source == detect::OffsetSource::kNone) {
    w.member("searched", static_cast<std::uint64_t>(o.searched));
    w.key("best");
    if (o.searched == 0 || o.matched == 0) {
      w.null();
    } else {
      w.begin_object();
      write_server(w, o.server, o.ip_proto);
      optional_string(w, "name", o.name);
      w.member("matched", static_cast<std::uint64_t>(o.matched));
      w.member("p_value", o.p_value);
      w.end_object();
    }
  }
  w.end_object();
  const bool aligned = o.source != detect::OffsetSource::kNone;
  w.key("typing_first");
  if (aligned) w.value(core::iso8601_text(core::Timestamp{d.typing_begin()}).view());
  else w.null();
  w.key("typing_last");
  if (aligned) w.value(core::iso8601_text(core::Timestamp{d.typing_end()}).view());
  else w.null();
  w.member("fdr", detect::KeystrokeDetector::kFalseDiscoveryRate);
  w.member("destinations_tested", static_cast<std::uint64_t>(d.destinations_tested()));
  w.member("flows_tested", static_cast<std::uint64_t>(d.flows_tested()));
  w.member("findings", static_cast<std::uint64_t>(d.findings().size()));
  w.member("sends_dropped", d.sends_dropped());
  w.member("destinations_dropped", d.destinations_dropped());
  w.member("messages_dropped", d.messages_dropped());
  w.end_object();
}

JsonReport::JsonReport(std::FILE* out, const core::AppRegistry& apps, bool enriched, bool bodies)
    : writer_(out),
      apps_(apps),
      destinations_(enriched ? std::make_unique<enrich::DestinationTable>() : nullptr),
      spool_usable_(spool_.file() != nullptr),
      messages_(messages_spool_.file()),
      bodies_(bodies) {
  messages_.begin_items();
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

void JsonReport::on_flow(flow::FlowRecord& f) {
  if (destinations_ != nullptr) destinations_->add(f);
  writer_.break_before_next();
  write_flow(writer_, f, apps_);
}

// Straight into the spool: an item of the "dns" array on a line of its own, as the JSON
// writer would have put it.
void JsonReport::on_dns(const dissect::DnsTransaction& t) {
  if (!spool_usable_) return;
  char* p = spool_.reserve(dns_record_bound(t, {}) + 2);
  if (dns_records_++ > 0) *p++ = ',';
  *p++ = '\n';
  spool_.commit(put_dns(p, t, {}));
}

void JsonReport::on_http(const dissect::HttpExchange& x) {
  messages_.break_before_next();
  write_message(messages_, x, bodies_);
}

void JsonReport::finish(const RunStats& s) {
  writer_.end_array();
  writer_.break_before_next();
  writer_.key("dns");
  writer_.begin_array();
  if (!writer_.splice(spool_))
    fmt::print(stderr, "tattle: the DNS transactions could not all be kept for the report (temporary file)\n");
  writer_.end_array();
  writer_.break_before_next();
  writer_.key("messages");
  writer_.begin_array();
  if (!messages_.flush() || !writer_.splice(messages_spool_))
    fmt::print(stderr, "tattle: the HTTP messages could not all be kept for the report (temporary file)\n");
  writer_.end_array();
  writer_.break_before_next();
  writer_.key("destinations");
  writer_.begin_array();
  if (destinations_ != nullptr)
    for (const auto* d : destinations_->by_bytes_out()) {
      writer_.break_before_next();
      write_destination(writer_, *d, apps_);
    }
  writer_.end_array();
  writer_.break_before_next();
  writer_.key("findings");
  writer_.begin_array();
  if (s.policy != nullptr)
    for (const auto& f : s.policy->findings()) {
      writer_.break_before_next();
      write_finding(writer_, f, apps_);
    }
  if (s.keystrokes)
    for (const auto& f : s.keystrokes->detector->findings()) {
      writer_.break_before_next();
      write_keystroke_finding(writer_, f, s.keystrokes->detector->offset(), apps_);
    }
  writer_.end_array();
  writer_.break_before_next();
  writer_.key("keystrokes");
  if (s.keystrokes) write_keystroke_run(writer_, *s.keystrokes);
  else writer_.null();
  writer_.break_before_next();
  writer_.key("enrichment");
  writer_.begin_object();
  writer_.member("enriched", s.enriched);
  strings(writer_, "location_databases", s.location_sources);
  writer_.member("entities", static_cast<std::uint64_t>(s.entities));
  writer_.key("policy");
  if (s.policy != nullptr) writer_.value(s.policy->path());
  else writer_.null();
  writer_.member("destinations_dropped", destinations_ != nullptr ? destinations_->dropped() : 0);
  writer_.member("findings_dropped", s.policy != nullptr ? s.policy->dropped() : 0);
  writer_.end_object();
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
  writer_.key("keylog");
  writer_.begin_object();
  writer_.member("files", static_cast<std::uint64_t>(s.keylog_files));
  writer_.member("connections", static_cast<std::uint64_t>(s.keylog_connections));
  writer_.member("unused", static_cast<std::uint64_t>(s.keylog_unused));
  s.keylog.visit([&](std::string_view name, core::Counter v) { writer_.member(name, v); });
  writer_.end_object();
  writer_.end_object();
  writer_.end_object();
  writer_.newline();
  writer_.flush();
}

NdjsonSink::NdjsonSink(std::FILE* out, const core::AppRegistry& apps, bool enriched, bool bodies)
    : writer_(out),
      apps_(apps),
      destinations_(enriched ? std::make_unique<enrich::DestinationTable>() : nullptr),
      bodies_(bodies) {}

void NdjsonSink::on_flow(flow::FlowRecord& f) {
  if (destinations_ != nullptr) destinations_->add(f);
  write_flow(writer_, f, apps_, "flow");
  writer_.newline();
}

void NdjsonSink::on_dns(const dissect::DnsTransaction& t) {
  write_dns(writer_, t, "dns");
  writer_.newline();
}

void NdjsonSink::on_http(const dissect::HttpExchange& x) {
  write_message(writer_, x, bodies_, "message");
  writer_.newline();
}

void NdjsonSink::finish(const RunStats& s) {
  if (destinations_ != nullptr)
    for (const auto* d : destinations_->by_bytes_out()) {
      write_destination(writer_, *d, apps_, "destination");
      writer_.newline();
    }
  if (s.policy != nullptr)
    for (const auto& f : s.policy->findings()) {
      write_finding(writer_, f, apps_, "finding");
      writer_.newline();
    }
  if (s.keystrokes) {
    for (const auto& f : s.keystrokes->detector->findings()) {
      write_keystroke_finding(writer_, f, s.keystrokes->detector->offset(), apps_, "finding");
      writer_.newline();
    }
    write_keystroke_run(writer_, *s.keystrokes, "keystrokes");
    writer_.newline();
  }
  writer_.flush();
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

TextSummary::TextSummary(std::FILE* out, const core::AppRegistry& apps, bool enriched, bool colour)
    : out_(out),
      apps_(apps),
      destinations_(enriched ? std::make_unique<enrich::DestinationTable>(true) : nullptr),
      colour_(colour) {}

void TextSummary::on_flow(flow::FlowRecord& f) {
  if (destinations_ != nullptr) destinations_->add(f);
  hits_ += f.hits;
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
    if (i.format == "app-privacy-report")
      fmt::print(out_, "{}: App Privacy Report, {} network activity records", i.path, in.records);
    else if (i.format == "har")
      fmt::print(out_, "{}: HAR, {} entries", i.path, in.records);
    else
      fmt::print(out_, "{}: {}{}, {} packets, {}", i.path, i.format, i.gzip ? " (gzip)" : "", i.packets,
                 human_bytes(i.bytes));
    if (in.warnings.total > 0) fmt::print(out_, ", {} warnings", in.warnings.total);
    fmt::print(out_, "\n");
    if (i.packets > 0) fmt::print(out_, "  {} .. {}\n", core::iso8601(i.first), core::iso8601(i.last));
  }
  // An App Privacy Report is audited on its own: records of apps and names, no packets.
  const bool records_only = !s.inputs.empty() && std::all_of(s.inputs.begin(), s.inputs.end(), [](const auto& in) {
    return in.info.format == "app-privacy-report";
  });
  if (records_only) {
    fmt::print(out_, "\n{} network activity records of {} apps, {} hits\n", flows_, s.apps, hits_);
  } else {
    fmt::print(out_, "\n{} flows ({} tcp, {} udp, {} other), {} on the wire\n", flows_,
               s.flows[flow::FlowCounter::kTcpFlows], s.flows[flow::FlowCounter::kUdpFlows],
               s.flows[flow::FlowCounter::kOtherFlows], human_bytes(bytes_));
    fmt::print(out_, "{} DNS transactions; {} of the flows named\n", dns_, named_);
    if (s.keylog_connections > 0 || s.keylog[decrypt::KeyLogCounter::kLines] > 0)
      fmt::print(out_, "key log: secrets of {} connections; {} TLS/QUIC handshakes have theirs, {} not; {} connections not in the capture\n",
                 s.keylog_connections, s.keylog[decrypt::KeyLogCounter::kHandshakesWithKeys],
                 s.keylog[decrypt::KeyLogCounter::kHandshakesWithoutKeys], s.keylog_unused);
    if (s.tls[dissect::TlsCounter::kDecryptedFlows] > 0)
      fmt::print(out_, "{} TLS flows decrypted\n", s.tls[dissect::TlsCounter::kDecryptedFlows]);
    if (exchanges_ > 0)
      fmt::print(out_, "{} HTTP exchanges ({} decrypted); `tattle messages` shows them\n", exchanges_,
                 decrypted_exchanges_);
  }
  if (destinations_ != nullptr) {
    print_destinations(s, records_only);
    print_findings(s);
  }
  print_keystrokes(s);
  if (records_only) {
    std::fflush(out_);
    return;
  }
  std::sort(top_.begin(), top_.end(), more_bytes);
  if (destinations_ == nullptr && !top_.empty()) {
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
  if (destinations_ == nullptr && !app_flows_.empty()) {
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

namespace {

// Totals of a group of destinations (an app's, an owner's).
struct Group {
  std::uint64_t flows = 0, bytes_out = 0, bytes_in = 0, hits = 0;
  std::vector<const enrich::Destination*> members;
  void add(const enrich::Destination* d) {
    flows += d->flows;
    hits += d->hits;
    bytes_out += d->bytes_out;
    bytes_in += d->bytes_in;
    members.push_back(d);
  }
};

template <class K>
std::vector<std::pair<K, Group>> by_bytes_sent(absl::flat_hash_map<K, Group>& groups) {
  std::vector<std::pair<K, Group>> out(std::make_move_iterator(groups.begin()), std::make_move_iterator(groups.end()));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.second.bytes_out != b.second.bytes_out) return a.second.bytes_out > b.second.bytes_out;
    if (a.second.bytes_in != b.second.bytes_in) return a.second.bytes_in > b.second.bytes_in;
    return a.second.hits > b.second.hits;
  });
  return out;
}

std::string fit(std::string text, std::size_t width) {
  if (text.size() <= width) return text;
  text.resize(width - 3);
  text += "...";
  return text;
}

std::string owner_label(const core::Owner* o) {
  if (o == nullptr) return "owner unknown";
  std::string label = o->name;
  if (o->parent != nullptr) label += fmt::format(" ({})", o->top().name);
  label += " - law: ";
  const auto j = o->jurisdictions();
  for (std::size_t i = 0; i < j.size(); ++i) {
    if (i > 0) label += ", ";
    label += j[i];
  }
  return label;
}

std::string clock(core::Timestamp t) {
  const std::string iso = core::iso8601(t);  // 2026-11-25T15:01:02.123456789Z
  return iso.size() >= 19 ? iso.substr(11, 8) : iso;
}

}  // namespace

void TextSummary::print_destinations(const RunStats& s, bool records_only) {
  const auto list = destinations_->by_bytes_out();
  if (list.empty()) return;
  const char* bold = colour_ ? "\x1b[1m" : "";
  const char* dim = colour_ ? "\x1b[2m" : "";
  const char* red = colour_ ? "\x1b[31m" : "";
  const char* reset = colour_ ? "\x1b[0m" : "";

  // Destinations breaching the policy are marked; findings are per server, not per app.
  // Keyed as findings are: by server, or by name for records without an address.
  absl::flat_hash_map<std::tuple<core::Endpoint, std::uint8_t, std::string>, bool> breached;
  const auto where = [](const core::Endpoint& server, std::uint8_t proto, const std::string& name) {
    return std::tuple{server, proto, server.addr.version == 0 ? name : std::string{}};
  };
  if (s.policy != nullptr)
    for (const auto& f : s.policy->findings()) breached[where(f.server, f.ip_proto, f.name)] = true;

  absl::flat_hash_map<core::AppId, Group> apps;
  for (const auto* d : list) apps[d->apps.empty() ? core::kNoApp : d->apps.front()].add(d);
  const bool any_app = apps.size() > 1 || !apps.contains(core::kNoApp);

  fmt::print(out_, "\nWhere the data went, {} first{}:\n", records_only ? "most contacted" : "most sent",
             any_app ? " (app, owner, destination)" : " (owner, destination)");
  // Columns: label | cc network | flows sent received | first-last; 97 characters in all.
  constexpr std::size_t kLabel = 38, kHead = kLabel + 14;
  fmt::print(out_, "{}{:<{}} {:>2} {:>10} {:>5} {:>9} {:>9}  {}{}\n", dim, "", kLabel, "cc", "network",
             records_only ? "hits" : "flows", "sent", "received", "first-last", reset);
  const std::string indent = any_app ? "  " : "";
  for (auto& [app, app_group] : by_bytes_sent(apps)) {
    if (any_app)
      fmt::print(out_, "{}{:<{}}{} {:>5} {:>9} {:>9}\n", bold,
                 fit(app == core::kNoApp ? "(app unknown)" : apps_.display_name(app), kHead), kHead, reset,
                 records_only ? app_group.hits : app_group.flows,
                 human_bytes(app_group.bytes_out), human_bytes(app_group.bytes_in));
    absl::flat_hash_map<const core::Owner*, Group> owners;
    for (const auto* d : app_group.members) owners[d->owner].add(d);
    auto sorted_owners = by_bytes_sent(owners);
    std::size_t shown = 0;
    for (auto& [owner, group] : sorted_owners) {
      if (shown++ == kOwnersShown) {
        fmt::print(out_, "{}{}... {} more owners (--json lists them all){}\n", indent, dim,
                   sorted_owners.size() - kOwnersShown, reset);
        break;
      }
      const std::size_t width = kHead - indent.size();
      fmt::print(out_, "{}{}{:<{}}{} {:>5} {:>9} {:>9}\n", indent, owner != nullptr ? bold : dim,
                 fit(owner_label(owner), width), width, reset, records_only ? group.hits : group.flows,
                 human_bytes(group.bytes_out),
                 human_bytes(group.bytes_in));
      std::size_t n = 0;
      for (const auto* d : group.members) {
        if (n++ == kDestinationsShown) {
          fmt::print(out_, "{}  {}... {} more destinations{}\n", indent, dim, group.members.size() - kDestinationsShown, reset);
          break;
        }
        std::string label = d->names.empty()            ? core::to_string(d->server)
                            : d->server.addr.version == 0 ? d->names.front()
                                                          : fmt::format("{}:{}", d->names.front(), d->server.port);
        if (d->front != nullptr) label += fmt::format(" via {}", d->front->name);
        const bool breach = breached.contains(where(d->server, d->ip_proto, d->names.empty() ? std::string{} : d->names.front()));
        const core::Place* p = d->place.get();
        const std::size_t label_width = kLabel - 2 - indent.size();
        fmt::print(out_, "{}{}{}{:<{}}{} {:>2} {:>10} {:>5} {:>9} {:>9}  {}-{}\n", indent, breach ? red : "",
                   breach ? "! " : "  ", fit(label, label_width), label_width, breach ? reset : "",
                   p != nullptr && !p->country.empty() ? p->country : "--",
                   p != nullptr && p->asn != 0 ? fmt::format("AS{}", p->asn) : "--", records_only ? d->hits : d->flows,
                   human_bytes(d->bytes_out), human_bytes(d->bytes_in), clock(d->first), clock(d->last));
      }
    }
  }
}

void TextSummary::print_findings(const RunStats& s) {
  if (s.policy == nullptr) return;
  const auto& findings = s.policy->findings();
  const char* red = colour_ ? "\x1b[31m" : "";
  const char* reset = colour_ ? "\x1b[0m" : "";
  if (findings.empty()) {
    fmt::print(out_, "\nPolicy {}: no breach\n", s.policy->path());
    return;
  }
  // Per rule and value: how many destinations and flows, and the bytes sent.
  struct Total {
    std::uint64_t destinations = 0, flows = 0, bytes_out = 0;
  };
  std::vector<std::pair<std::string, Total>> totals;
  for (const auto& f : findings) {
    const std::string key = fmt::format("{} = {}", f.rule, f.value);
    auto it = std::find_if(totals.begin(), totals.end(), [&](const auto& t) { return t.first == key; });
    if (it == totals.end()) it = totals.insert(totals.end(), {key, Total{}});
    ++it->second.destinations;
    it->second.flows += f.flows;
    it->second.bytes_out += f.bytes_out;
  }
  fmt::print(out_, "\n{}Policy {}: breached{} (destinations marked !)\n", red, s.policy->path(), reset);
  for (const auto& [rule, t] : totals)
    fmt::print(out_, "  {:<50} {:>5} destinations {:>6} flows {:>9} sent\n", fit(rule, 50), t.destinations, t.flows,
               human_bytes(t.bytes_out));
}

void TextSummary::print_keystrokes(const RunStats& s) {
  if (!s.keystrokes) return;
  const KeystrokeRun& k = *s.keystrokes;
  const detect::KeystrokeDetector& d = *k.detector;
  const detect::KeystrokeOffset& o = d.offset();
  fmt::print(out_, "\nKeystrokes: {} key-downs in {} ({}{}{})\n", d.keystrokes(), k.path, capture::to_string(k.format),
             k.devices.empty() ? "" : ": ", fmt::join(k.devices, ", "));
  const double seconds = static_cast<double>(o.ns) / 1e9;
  switch (o.source) {
    case detect::OffsetSource::kGiven:
      fmt::print(out_, "  clock offset {:+.6f} s, given\n", seconds);
      break;
    case detect::OffsetSource::kEstimated:
      fmt::print(out_, "  clock offset {:+.6f} s, estimated from {} ({} keys matched; by chance: {:.1e})\n", seconds,
                 o.name.empty() ? std::string(core::text(o.server).view()) : o.name, o.matched, o.p_value);
      break;
    case detect::OffsetSource::kClock:
      fmt::print(out_, "  clock offset 0: the log reads UTC like the capture, and no other offset stood out\n");
      break;
    case detect::OffsetSource::kNone:
      fmt::print(out_, "  no clock offset found: no destination's sends line up with the keys; nothing tested "
                       "(--keystroke-offset gives it)\n");
      return;
  }
  fmt::print(out_, "  typing {} .. {}; {} destinations and {} flows tested\n",
             core::iso8601(core::Timestamp{d.typing_begin()}), core::iso8601(core::Timestamp{d.typing_end()}),
             d.destinations_tested(), d.flows_tested());
  if (d.findings().empty()) {
    fmt::print(out_, "  no destination's sends follow the keys\n");
    return;
  }
  const char* red = colour_ ? "\x1b[31m" : "";
  const char* reset = colour_ ? "\x1b[0m" : "";
  fmt::print(out_, "  {}sent in step with the typing{} (false discovery rate {:g} %; raster: | keys and sends, "
                   ". keys only, ' sends only):\n",
             red, reset, detect::KeystrokeDetector::kFalseDiscoveryRate * 100);
  for (const auto& f : d.findings()) {
    const std::string where = f.name.empty() ? std::string(core::text(f.server).view())
                                             : fmt::format("{} ({})", f.name, core::text(f.server).view());
    const core::Place* p = f.place.get();
    fmt::print(out_, "  {:<9} {:<52} {:<12} {:>2}  {} of {} keys, lag {:.0f} ms, p {:.1e}{}\n", detect::to_string(f.pattern),
               fit(where, 52), fit(f.owner != nullptr ? f.owner->name : "--", 12),
               p != nullptr && !p->country.empty() ? p->country : "--", f.coupled, f.keystrokes, f.median_lag_ms,
               f.p_value, f.by_flow ? " (one flow)" : "");
    fmt::print(out_, "            [{}]\n", f.raster);
    if (f.messages_total > 0)
      fmt::print(out_, "            {} HTTP requests in step: tattle messages --flow {}\n", f.messages_total,
                 f.messages.front().flow);
  }
}

}  // namespace tattle::report
