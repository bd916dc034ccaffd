#include "dissect/http_shared.hpp"

#include <algorithm>

namespace tattle::dissect {

bool FieldMessage::take_head(std::vector<std::pair<std::string, std::string>>& list, bool request,
                             core::Timestamp ts) {
  FieldMessage head;
  for (auto& [name, value] : list) {
    if (name.empty() || name[0] != ':') head.fields.emplace_back(std::move(name), std::move(value));
    else if (name == ":method") head.method = std::move(value);
    else if (name == ":authority") head.authority = std::move(value);
    else if (name == ":path") head.path = std::move(value);
    else if (name == ":status" && value.size() == 3 &&
             std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      head.status = static_cast<std::uint16_t>((value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0'));
  }
  if (!request && head.status >= 100 && head.status < 200) return false;
  if (request && head.authority.empty()) head.authority = head.field("host");
  fields = std::move(head.fields);
  method = std::move(head.method);
  authority = std::move(head.authority);
  path = std::move(head.path);
  status = head.status;
  body.start(ts, field("content-encoding"));
  return true;
}

void emit_exchange(const HttpContext& context, std::uint64_t stream_id, std::string_view version, bool decrypted,
                   bool pushed, FieldMessage& request, FieldMessage& response) {
  auto& counters = *context.counters;
  if (!response.body.present) ++counters[HttpCounter::kUnanswered];
  else if (!request.body.present) ++counters[HttpCounter::kUnsolicited];
  for (FieldMessage* m : {&request, &response})
    if (m->body.present && !m->ended) {
      ++counters[HttpCounter::kCutShort];
      m->body.cut();
    }
  ++counters[HttpCounter::kExchanges];
  if (context.sink == nullptr) return;
  HttpExchange x;
  x.flow_id = context.flow_id;
  x.client = context.client;
  x.server = context.server;
  x.stream_id = stream_id;
  x.version = version;
  x.decrypted = decrypted;
  x.pushed = pushed;
  x.has_request = request.body.present;
  x.has_response = response.body.present;
  x.method = request.method;
  x.authority = request.authority;
  x.target = request.path;
  x.status = response.status;
  std::vector<HttpHeader> fields[2];
  FieldMessage* messages[2] = {&request, &response};
  HttpMessage* views[2] = {&x.request, &x.response};
  for (int i = 0; i < 2; ++i) {
    if (!messages[i]->body.present) continue;
    for (const auto& [n, v] : messages[i]->fields) fields[i].push_back({n, v});
    views[i]->headers = fields[i];
    views[i]->content_type = messages[i]->field("content-type");
    views[i]->content_encoding = messages[i]->field("content-encoding");
    messages[i]->body.view(*views[i], counters);
  }
  context.sink->on_http(x);
}

}  // namespace tattle::dissect
