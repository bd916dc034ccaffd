#include "enrich/namer.hpp"

#include <algorithm>

namespace tattle::enrich {

void Namer::on_flow(const flow::FlowRecord& f) {
  const auto chain = map_.lookup(f.client.addr, f.server.addr, f.start);
  if (!chain) {
    flows_.on_flow(f);
    return;
  }
  flow::FlowRecord named = f;
  if (named.name_source == flow::NameSource::kNone) {
    named.name = chain->front();
    named.name_source = flow::NameSource::kDns;
  }
  for (const auto& n : *chain) {
    if (named.names.size() == flow::kMaxFlowNames) break;
    if (std::find(named.names.begin(), named.names.end(), n) == named.names.end()) named.names.push_back(n);
  }
  flows_.on_flow(named);
}

void Namer::on_dns(const dissect::DnsTransaction& t) {
  map_.add(t);
  dns_.on_dns(t);
}

}  // namespace tattle::enrich
