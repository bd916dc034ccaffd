#include "dissect/har.hpp"

#include <algorithm>
#include <vector>

#include "core/ascii.hpp"
#include "decode/packet.hpp"
#include "dissect/http_shared.hpp"

namespace tattle::dissect {

namespace {

struct Url {
  std::string_view scheme, authority, host, target;
  std::uint16_t port = 0;
};

// "https://user@api.example.com:8443/v1/x?q=1#frag" → https, api.example.com:8443, /v1/x?q=1.
Url split_url(std::string_view url) {
  Url u;
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) {
    u.target = url;
    return u;
  }
  u.scheme = url.substr(0, colon);
  std::string_view rest = url.substr(colon + 3);
  const std::size_t slash = rest.find_first_of("/?#");
  u.authority = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  u.target = rest.substr(0, rest.find('#'));
  if (u.target.empty() || u.target.front() != '/') u.target = "/";
  if (const std::size_t at = u.authority.rfind('@'); at != std::string_view::npos) u.authority.remove_prefix(at + 1);
  u.host = u.authority;
  const std::size_t bracket = u.host.rfind(']');
  const std::size_t port_colon = u.host.rfind(':');
  if (port_colon != std::string_view::npos && (bracket == std::string_view::npos || port_colon > bracket)) {
    unsigned port = 0;
    for (const char c : u.host.substr(port_colon + 1)) port = c >= '0' && c <= '9' && port < 65536 ? port * 10 + (c - '0') : 65536;
    if (port < 65536) u.port = static_cast<std::uint16_t>(port);
    u.host = u.host.substr(0, port_colon);
  }
  if (u.port == 0) u.port = u.scheme == "https" || u.scheme == "wss" ? 443 : 80;
  return u;
}

// HAR writers name versions their own ways ("h2", "HTTP/2.0", "http/2.0").
std::string_view version_of(std::string_view v) {
  if (v == "h2" || v == "HTTP/2" || v == "HTTP/2.0" || v == "http/2.0") return "HTTP/2";
  if (v == "h3" || v == "HTTP/3" || v == "http/3" || v == "HTTP/3.0") return "HTTP/3";
  if (v == "HTTP/1.0" || v == "http/1.0") return "HTTP/1.0";
  return "HTTP/1.1";
}

std::string_view field(const capture::HarMessage& m, std::string_view name) {
  for (const auto& [n, v] : m.headers)
    if (core::equals_lower(n, name)) return v;
  return {};
}

// A HAR body is stored decoded (content codings undone): it is shown as it is.
void view(const capture::HarMessage& m, core::Timestamp time, std::vector<HttpHeader>& headers, HttpMessage& out) {
  for (const auto& [n, v] : m.headers) headers.push_back({n, v});
  out.time = time;
  out.headers = headers;
  out.body_bytes = m.body_size > 0 ? static_cast<std::uint64_t>(m.body_size) : m.body.size();
  out.content_type = !m.mime_type.empty() ? std::string_view(m.mime_type) : field(m, "content-type");
  out.content_encoding = field(m, "content-encoding");
  out.body = {reinterpret_cast<const std::uint8_t*>(m.body.data()), m.body.size()};
  out.body_whole = !m.body_cut;
}

}  // namespace

void HarFlows::add(const capture::HarEntry& e) {
  const Url url = split_url(e.url);
  const std::string_view version = version_of(e.request.version);
  auto [it, fresh] = flows_.try_emplace(Key{e.server_ip, url.port, e.connection, std::string(url.host)});
  flow::FlowRecord& f = it->second;
  const core::Timestamp end{e.started.ns + static_cast<std::int64_t>(std::max(0.0, e.time_ms) * 1e6)};
  if (fresh) {
    f.id = 8 * (e.index + 1);
    f.ip_proto = version == "HTTP/3" ? decode::ip_proto::kUdp : decode::ip_proto::kTcp;
    f.server = {core::IpAddress::parse(e.server_ip), url.port};
    f.start = e.started;
    f.end = end;
    f.decrypted = url.scheme == "https" || url.scheme == "wss";
  }
  f.start = std::min(f.start, e.started);
  f.end = std::max(f.end, end);
  f.add_name(url.host, flow::NameSource::kHttp);
  const auto size = [](const capture::HarMessage& m) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.headers_size) + std::max<std::int64_t>(0, m.body_size));
  };
  f.bytes[0] += size(e.request);
  f.payload_bytes[0] += size(e.request);
  f.bytes[1] += size(e.response);
  f.payload_bytes[1] += size(e.response);
  if (f.http_requests.size() < flow::kMaxFlowRequests)
    f.http_requests.emplace_back(e.method, url.authority, url.target, field(e.request, "user-agent"));
  else
    ++counters_[HttpCounter::kDropped];

  HttpExchange x;
  x.flow_id = f.id;
  x.server = f.server;
  x.stream_id = e.index;
  x.version = version;
  x.decrypted = f.decrypted;
  x.has_request = true;
  x.method = e.method;
  x.authority = url.authority;
  x.target = url.target;
  std::vector<HttpHeader> fields[2];
  view(e.request, e.started, fields[0], x.request);
  x.has_response = e.status > 0;
  if (x.has_response) {
    x.status = static_cast<std::uint16_t>(std::clamp(e.status, 0, 999));
    view(e.response, end, fields[1], x.response);
  }
  ++counters_[HttpCounter::kRequests];
  if (x.has_response) ++counters_[HttpCounter::kResponses];
  else ++counters_[HttpCounter::kUnanswered];
  ++counters_[HttpCounter::kExchanges];
  http_.on_http(x);

  // Each WebSocket message an exchange of its own, on the connection the upgrade opened.
  for (std::size_t i = 0; i < e.websocket.size(); ++i) {
    const capture::HarWebSocketMessage& m = e.websocket[i];
    HttpExchange w;
    w.flow_id = f.id;
    w.server = f.server;
    w.stream_id = i;
    w.version = "WebSocket";
    w.decrypted = f.decrypted;
    w.authority = url.authority;
    w.target = url.target;
    HttpMessage& part = m.sent ? w.request : w.response;
    (m.sent ? w.has_request : w.has_response) = true;
    part.time = m.time;
    part.body_bytes = m.data.size();
    part.body = {reinterpret_cast<const std::uint8_t*>(m.data.data()), m.data.size()};
    part.content_type = m.opcode == 2 ? "application/octet-stream" : "text/plain";
    ++counters_[HttpCounter::kExchanges];
    http_.on_http(w);
  }
}

void HarFlows::finish(flow::FlowSink& flows) {
  std::vector<flow::FlowRecord*> order;
  for (auto& [key, f] : flows_) order.push_back(&f);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  for (auto* f : order) flows.on_flow(*f);
  flows_.clear();
}

}  // namespace tattle::dissect
