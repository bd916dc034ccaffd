#include "dissect/http.hpp"

#include <algorithm>

#include "dissect/http_request.hpp"
#include "flow/flow_record.hpp"

namespace tattle::dissect {

std::string_view counter_name(HttpCounter c) {
  switch (c) {
    case HttpCounter::kRequests: return "requests";
    case HttpCounter::kDropped: return "requests_dropped";
    case HttpCounter::kNotHttp: return "not_http";
    case HttpCounter::kStoppedChunked: return "stopped_at_chunked_body";
    case HttpCounter::kCount: break;
  }
  return "?";
}

namespace {

// "example.com" from "example.com:8080", "[2001:db8::1]" from "[2001:db8::1]:8080".
std::string_view host_name(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

class HttpDissector final : public flow::Dissector {
 public:
  explicit HttpDissector(core::Counters<HttpCounter>& counters) : counters_(counters) {}

  flow::Progress on_stream(flow::Direction dir, core::Timestamp, core::Bytes bytes) override {
    // Responses are not read here, nor the client's bytes once reading has stopped.
    if (dir != flow::Direction::kFromClient || done_) return flow::Progress::finished();
    std::size_t used = 0;
    while (!done_ && used < bytes.size()) {
      const core::Bytes rest = bytes.subspan(used);
      if (body_left_ > 0) {
        const std::size_t skip = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, rest.size()));
        body_left_ -= skip;
        used += skip;
        continue;
      }
      HttpRequest request;
      std::size_t head_size = 0;
      switch (parse_request_head(rest, request, head_size)) {
        case HeadResult::kNeedMore:
          return used > 0 ? flow::Progress::done(used) : flow::Progress::need(0);
        case HeadResult::kNotHttp:
          ++counters_[HttpCounter::kNotHttp];
          done_ = true;
          break;
        case HeadResult::kRead:
          take(request);
          used += head_size;
          break;
      }
    }
    return done_ ? flow::Progress::finished() : flow::Progress::done(bytes.size());
  }

  // The next request head cannot be found again after a hole in the client's stream.
  flow::Progress on_gap(flow::Direction dir, std::uint64_t) override {
    if (dir == flow::Direction::kFromClient) done_ = true;
    return flow::Progress::finished();
  }

  flow::Progress on_datagram(flow::Direction, core::Timestamp, core::Bytes) override {
    return flow::Progress::reject();
  }

  void annotate(flow::FlowRecord& r) override {
    for (const auto& q : requests_) r.add_name(host_name(q.host()), flow::NameSource::kHttp);
    r.http_requests = std::move(requests_);
  }

 private:
  void take(const HttpRequest& q) {
    ++counters_[HttpCounter::kRequests];
    if (requests_.size() < flow::kMaxFlowRequests)
      requests_.emplace_back(q.method, q.host, q.target, q.user_agent);
    else
      ++counters_[HttpCounter::kDropped];
    if (q.chunked) {
      ++counters_[HttpCounter::kStoppedChunked];
      done_ = true;
    }
    body_left_ = q.content_length;
  }

  core::Counters<HttpCounter>& counters_;
  std::vector<flow::FlowRecord::HttpRequest> requests_;
  std::uint64_t body_left_ = 0;  // of the current request's body, still to pass over
  bool done_ = false;
};

}  // namespace

std::unique_ptr<flow::Dissector> make_http_dissector(core::Counters<HttpCounter>& counters) {
  return std::make_unique<HttpDissector>(counters);
}

}  // namespace tattle::dissect
