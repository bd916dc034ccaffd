// Enrichment: names each finished flow from what its client resolved (ResolutionMap), unless the
// flow already carries a better name of its own (TLS SNI, QUIC, HTTP Host), then has the
// Enricher place and own it; records each DNS transaction in the map. Sits between the flow
// tables and the sinks; calls from several worker threads are fine (the map and the enricher
// lock, the sinks behind must serialise themselves).
#pragma once

#include "dissect/dns.hpp"
#include "enrich/enricher.hpp"
#include "enrich/resolution_map.hpp"
#include "flow/flow_table.hpp"

namespace tattle::enrich {

class Namer final : public flow::FlowSink, public dissect::DnsSink {
 public:
  Namer(ResolutionMap& map, const Enricher& enricher, flow::FlowSink& flows, dissect::DnsSink& dns)
      : map_(map), enricher_(enricher), flows_(flows), dns_(dns) {}

  void on_flow(flow::FlowRecord& f) override;
  void on_dns(const dissect::DnsTransaction& t) override;

 private:
  ResolutionMap& map_;
  const Enricher& enricher_;
  flow::FlowSink& flows_;
  dissect::DnsSink& dns_;
};

}  // namespace tattle::enrich
