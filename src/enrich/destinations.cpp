#include "enrich/destinations.hpp"

#include <algorithm>

namespace tattle::enrich {

namespace {

template <class T>
void add_once(std::vector<T>& list, const T& item, std::size_t max) {
  if (list.size() < max && std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

}  // namespace

void DestinationTable::add(const flow::FlowRecord& f) {
  const Key key{f.server, f.ip_proto, by_app_ ? f.app : core::kNoApp,
                f.server.addr.version == 0 ? f.name : std::string{}};
  auto it = index_.find(key);
  if (it == index_.end()) {
    if (list_.size() >= kMaxDestinations) {
      ++dropped_;
      return;
    }
    it = index_.emplace(key, list_.size()).first;
    auto d = std::make_unique<Destination>();
    d->server = f.server;
    d->ip_proto = f.ip_proto;
    d->place = f.place;
    d->first = f.start;
    d->last = f.end;
    list_.push_back(std::move(d));
  }
  Destination& d = *list_[it->second];
  ++d.flows;
  d.hits += f.hits;
  d.bytes_out += f.bytes[0];
  d.bytes_in += f.bytes[1];
  d.first = std::min(d.first, f.start);
  d.last = std::max(d.last, f.end);
  for (std::size_t i = 0; i < f.names.size(); ++i) {
    auto at = std::find(d.names.begin(), d.names.end(), f.names[i]);
    if (at == d.names.end()) {
      if (d.names.size() >= flow::kMaxFlowNames) continue;
      at = d.names.insert(d.names.end(), f.names[i]);
    }
    if ((f.front_names >> i) & 1u) d.front_names |= static_cast<std::uint16_t>(1u << (at - d.names.begin()));
  }
  for (const auto t : f.tags) add_once(d.tags, t, flow::kMaxFlowNames);
  if (f.app != core::kNoApp) add_once(d.apps, f.app, Destination::kMaxApps);
  if (f.front != nullptr && d.front == nullptr) d.front = f.front;
  if (f.owner != nullptr) {
    auto o = std::find_if(d.owner_bytes_.begin(), d.owner_bytes_.end(), [&](const auto& e) { return e.first == f.owner; });
    if (o == d.owner_bytes_.end()) {
      if (d.owner_bytes_.size() >= Destination::kMaxApps) return;
      o = d.owner_bytes_.insert(d.owner_bytes_.end(), {f.owner, 0});
    }
    o->second += f.bytes[0] + 1;  // + 1: an owner of empty flows still counts
    if (d.owner == nullptr || o->second > std::find_if(d.owner_bytes_.begin(), d.owner_bytes_.end(), [&](const auto& e) {
                                              return e.first == d.owner;
                                            })->second)
      d.owner = o->first;
  }
}

std::vector<const Destination*> DestinationTable::by_bytes_out() const {
  std::vector<const Destination*> out;
  out.reserve(list_.size());
  for (const auto& d : list_) out.push_back(d.get());
  std::stable_sort(out.begin(), out.end(), [](const Destination* a, const Destination* b) {
    if (a->bytes_out != b->bytes_out) return a->bytes_out > b->bytes_out;
    if (a->bytes_in != b->bytes_in) return a->bytes_in > b->bytes_in;
    return a->hits > b->hits;
  });
  return out;
}

}  // namespace tattle::enrich
