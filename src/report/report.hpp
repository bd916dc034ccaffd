// Sinks for finished flows and for the run's summary: the JSON document (schema
// "tattle.audit/1", docs/schema.md), NDJSON (a flow per line, as flows end) and the terminal
// summary. Sinks are fed by FlowTables; Fanout lets several share one run and serialises calls
// from worker threads.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "capture/keystrokes.hpp"
#include "capture/packet_source.hpp"
#include "core/app.hpp"
#include "core/diagnostics.hpp"
#include "core/worker_lock.hpp"
#include "decode/decoder.hpp"
#include "decrypt/keylog.hpp"
#include "detect/keystroke.hpp"
#include "detect/policy.hpp"
#include "dissect/dns.hpp"
#include "dissect/http_message.hpp"
#include "dissect/quic_initial.hpp"
#include "dissect/tcp.hpp"
#include "enrich/destinations.hpp"
#include "flow/flow_table.hpp"
#include "report/json_writer.hpp"

namespace tattle::report {

inline constexpr std::string_view kSchema = "tattle.audit/1";

struct InputReport {
  capture::InputInfo info;               // info.path is set even when the input failed to open
  std::string error;                     // why the input could not be read at all, if so
  std::size_t name_records = 0;
  std::size_t secrets = 0;
  std::uint64_t records = 0;  // App Privacy Report: networkActivity records read
  core::InputWarnings warnings;
};

// --keystrokes: the log that was read, and what the detector found.
struct KeystrokeRun {
  std::string path;
  capture::KeystrokeFormat format = capture::KeystrokeFormat::kUnknown;
  capture::KeystrokeCounts counts;
  bool epoch = false;
  std::vector<std::string> devices;
  const detect::KeystrokeDetector* detector = nullptr;
};

struct RunStats {
  std::vector<InputReport> inputs;
  std::uint64_t frames = 0;
  core::Counters<decode::DecodeCounter> decode;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> unknown_link_types;
  core::Counters<flow::FlowCounter> flows;
  core::Counters<reassembly::ReassemblyCounter> reassembly;
  core::Counters<dissect::DnsCounter> dns;
  core::Counters<dissect::QuicCounter> quic;
  core::Counters<dissect::TcpPayloadCounter> tcp_payload;
  core::Counters<dissect::TlsCounter> tls;
  core::Counters<dissect::HttpCounter> http;
  std::uint64_t resolutions_dropped = 0;  // DNS answers the resolution map had no room for
  // Key logs (--keylog files and pcapng DSBs): what they held and what the handshakes found.
  core::Counters<decrypt::KeyLogCounter> keylog;
  std::size_t keylog_files = 0;
  std::size_t keylog_connections = 0;  // client randoms with secrets
  std::size_t keylog_unused = 0;       // of those, the ones no handshake of the capture had
  // Enrichment and the policy; not with --flows-only.
  bool enriched = false;
  std::vector<std::string> location_sources;  // the address databases in use
  std::size_t entities = 0;                   // entities in the catalog
  const detect::Policy* policy = nullptr;     // null: no --policy
  std::optional<KeystrokeRun> keystrokes;
  std::uint64_t warnings = 0;
  std::uint64_t apps = 0;          // distinct apps the captures named
  std::uint64_t apps_dropped = 0;  // beyond core::AppRegistry::kMaxApps
  unsigned threads = 1;
};

// A flow's JSON object (the "flows" items of docs/schema.md); with `type`, NDJSON's "type"
// member first.
void write_flow(JsonWriter& w, const flow::FlowRecord& f, const core::AppRegistry& apps,
                std::string_view type = {});
// A DNS transaction's JSON object (the "dns" items of docs/schema.md), `type` as above.
void write_dns(JsonWriter& w, const dissect::DnsTransaction& t, std::string_view type = {});
// The "destinations" and "findings" items of docs/schema.md, `type` as above.
void write_destination(JsonWriter& w, const enrich::Destination& d, const core::AppRegistry& apps,
                       std::string_view type = {});
void write_finding(JsonWriter& w, const detect::Finding& f, const core::AppRegistry& apps,
                   std::string_view type = {});
void write_keystroke_finding(JsonWriter& w, const detect::KeystrokeFinding& f, const detect::KeystrokeOffset& offset,
                             const core::AppRegistry& apps, std::string_view type = {});
// The "keystrokes" object of docs/schema.md: the log, the clock offset, what was tested.
void write_keystroke_run(JsonWriter& w, const KeystrokeRun& k, std::string_view type = {});
std::string_view proto_name(std::uint8_t ip_proto);

class RunSink : public flow::FlowSink, public dissect::DnsSink, public dissect::HttpSink {
 public:
  void on_dns(const dissect::DnsTransaction&) override {}
  void on_http(const dissect::HttpExchange&) override {}
  // The run is over: write whatever comes after the flows.
  virtual void finish(const RunStats& stats) = 0;
};

// DNS transactions and HTTP exchanges arrive between flows while the "flows" array is being
// written: they are spooled (in memory up to a limit, then a temporary file) and copied into
// "dns" and "messages" at the end.
class JsonReport final : public RunSink {
 public:
  // `enriched`: flows are named and placed, so the report sums them per destination. `bodies`:
  // messages carry their header values and bodies.
  JsonReport(std::FILE* out, const core::AppRegistry& apps, bool enriched, bool bodies = false);
  void on_flow(flow::FlowRecord& f) override;
  void on_dns(const dissect::DnsTransaction& t) override;
  void on_http(const dissect::HttpExchange& x) override;
  void finish(const RunStats& stats) override;

 private:
  JsonWriter writer_;
  const core::AppRegistry& apps_;
  std::unique_ptr<enrich::DestinationTable> destinations_;  // null: not enriched
  Spool spool_;
  bool spool_usable_;
  std::uint64_t dns_records_ = 0;
  Spool messages_spool_;
  JsonWriter messages_;  // writes into messages_spool_
  bool bodies_;
};

class NdjsonSink final : public RunSink {
 public:
  // With `enriched`, destination and finding lines follow the flows at the end of the run.
  NdjsonSink(std::FILE* out, const core::AppRegistry& apps, bool enriched, bool bodies = false);
  void on_flow(flow::FlowRecord& f) override;
  void on_dns(const dissect::DnsTransaction& t) override;
  void on_http(const dissect::HttpExchange& x) override;
  void finish(const RunStats& stats) override;

 private:
  JsonWriter writer_;
  const core::AppRegistry& apps_;
  std::unique_ptr<enrich::DestinationTable> destinations_;
  bool bodies_;
};

// The readable summary printed when no --json is asked for: where the data went, grouped app →
// owner → destination, sorted by bytes sent and fitted to a 100-column terminal (colour when
// `colour`); without enrichment (--flows-only), the top flows by bytes. Memory is bounded: totals
// per destination (DestinationTable's bound) and the top flows.
class TextSummary final : public RunSink {
 public:
  static constexpr std::size_t kTopFlows = 15;
  static constexpr std::size_t kOwnersShown = 12;        // per app
  static constexpr std::size_t kDestinationsShown = 4;   // per owner
  TextSummary(std::FILE* out, const core::AppRegistry& apps, bool enriched, bool colour);
  void on_flow(flow::FlowRecord& f) override;
  void on_dns(const dissect::DnsTransaction&) override { ++dns_; }
  void on_http(const dissect::HttpExchange& x) override {
    ++exchanges_;
    if (x.decrypted) ++decrypted_exchanges_;
  }
  void finish(const RunStats& stats) override;

 private:
  std::FILE* out_;
  std::uint64_t dns_ = 0;
  std::uint64_t exchanges_ = 0;  // HTTP
  std::uint64_t decrypted_exchanges_ = 0;
  std::uint64_t named_ = 0;  // flows with a name
  const core::AppRegistry& apps_;
  std::vector<flow::FlowRecord> top_;  // a min-heap on total bytes
  std::uint64_t flows_ = 0;
  std::uint64_t bytes_ = 0;
  std::vector<std::pair<core::AppId, std::uint64_t>> app_flows_;
  std::unique_ptr<enrich::DestinationTable> destinations_;  // per app; null: not enriched
  bool colour_;
  std::uint64_t hits_ = 0;  // App Privacy Report records' hits
  void print_destinations(const RunStats& s, bool records_only);
  void print_findings(const RunStats& s);
  void print_keystrokes(const RunStats& s);
};

// Hands each flow to every sink, one call at a time (flows come from several worker threads).
class Fanout final : public RunSink {
 public:
  void add(RunSink* sink) { sinks_.push_back(sink); }
  // False when one thread does all the work: then nothing is locked.
  void set_shared(bool shared) { lock_.set_shared(shared); }
  void on_flow(flow::FlowRecord& f) override {
    const std::lock_guard lock(lock_);
    for (auto* s : sinks_) s->on_flow(f);
  }
  void on_dns(const dissect::DnsTransaction& t) override {
    const std::lock_guard lock(lock_);
    for (auto* s : sinks_) s->on_dns(t);
  }
  void on_http(const dissect::HttpExchange& x) override {
    const std::lock_guard lock(lock_);
    for (auto* s : sinks_) s->on_http(x);
  }
  void finish(const RunStats& stats) override {
    for (auto* s : sinks_) s->finish(stats);
  }

 private:
  core::WorkerLock lock_;
  std::vector<RunSink*> sinks_;
};

}  // namespace tattle::report
