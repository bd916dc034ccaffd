// Enrichment of a finished, named flow: the server's place (Locator), its owner and front
// (Catalog, by the flow's names first, then by the server's network), tags (the owner's
// categories and the user's tag lists) and, when the capture named no app, the app the user's
// --app-map gives the client. Thread-safe.
#pragma once

#include "enrich/app_map.hpp"
#include "enrich/catalog.hpp"
#include "enrich/locator.hpp"
#include "enrich/tag_lists.hpp"
#include "flow/flow_record.hpp"

namespace tattle::enrich {

class Enricher {
 public:
  Enricher(Locator& locator, const Catalog& catalog, const TagLists& tags, const AppMap& apps)
      : locator_(locator), catalog_(catalog), tags_(tags), apps_(apps) {}

  void enrich(flow::FlowRecord& f) const;

 private:
  Locator& locator_;
  const Catalog& catalog_;
  const TagLists& tags_;
  const AppMap& apps_;
};

}  // namespace tattle::enrich
