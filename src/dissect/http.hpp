// The HTTP/1.x dissector for TCP flows: reads each request head the client sends in clear text
// (following Content-Length bodies to the next request on a persistent connection) and gives
// the flow its requests — method, Host, target, User-Agent — and, from the first Host, a name.
#pragma once

#include <memory>
#include <string_view>

#include "core/counter.hpp"
#include "flow/dissector.hpp"

namespace tattle::dissect {

enum class HttpCounter {
  kRequests,         // request heads read
  kDropped,          // requests beyond kMaxFlowRequests in one flow: counted, not kept
  kNotHttp,          // flows that began like HTTP but whose head was not one (or too long)
  kStoppedChunked,   // flows whose reading stopped at a chunked request body
  kCount,
};
std::string_view counter_name(HttpCounter c);

std::unique_ptr<flow::Dissector> make_http_dissector(core::Counters<HttpCounter>& counters);

}  // namespace tattle::dissect
