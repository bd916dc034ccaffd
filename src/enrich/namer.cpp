#include "enrich/namer.hpp"

namespace tattle::enrich {

void Namer::on_flow(flow::FlowRecord& f) {
  if (const auto chain = map_.lookup(f.client.addr, f.server.addr, f.start))
    for (const auto& n : *chain) f.add_name(n, flow::NameSource::kDns);
  enricher_.enrich(f);
  flows_.on_flow(f);
}

void Namer::on_dns(const dissect::DnsTransaction& t) {
  map_.add(t);
  dns_.on_dns(t);
}

}  // namespace tattle::enrich
