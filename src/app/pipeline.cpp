#include "app/pipeline.hpp"

#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <absl/hash/hash.h>
#include <absl/status/status.h>
#include <fmt/format.h>

#include "app/progress.hpp"
#include "capture/har.hpp"
#include "capture/keystrokes.hpp"
#include "capture/merge.hpp"
#include "capture/packet_source.hpp"
#include "capture/privacy_report.hpp"
#include "core/diagnostics.hpp"
#include "core/status.hpp"
#include "decode/decoder.hpp"
#include "decrypt/keylog.hpp"
#include "detect/keystroke.hpp"
#include "detect/policy.hpp"
#include "dissect/dns.hpp"
#include "dissect/har.hpp"
#include "dissect/quic.hpp"
#include "dissect/tcp.hpp"
#include "enrich/app_map.hpp"
#include "enrich/catalog.hpp"
#include "enrich/enricher.hpp"
#include "enrich/locator.hpp"
#include "enrich/namer.hpp"
#include "enrich/tag_lists.hpp"
#include "enrich/resolution_map.hpp"
#include "flow/flow_table.hpp"
#include "report/messages.hpp"
#include "report/report.hpp"

namespace tattle::app {

namespace {

constexpr std::uint64_t kProgressEvery = 1 << 14;  // frames between progress checks

// Packets handed from the reading thread to one worker. Payloads that would not outlive the
// reader's next frame (decompressed input, reassembled fragments) are copied into `arena`.
struct Batch {
  static constexpr std::size_t kPackets = 1024;
  static constexpr std::size_t kNotCopied = ~std::size_t{0};
  std::vector<decode::PacketView> packets;
  std::vector<std::uint64_t> frames;
  std::vector<std::size_t> copied_at;  // offset in arena, or kNotCopied
  std::vector<std::uint8_t> arena;

  void clear() {
    packets.clear();
    frames.clear();
    copied_at.clear();
    arena.clear();
  }
  void add(const decode::PacketView& p, std::uint64_t frame, bool copy) {
    packets.push_back(p);
    frames.push_back(frame);
    if (copy && !p.payload.empty()) {
      copied_at.push_back(arena.size());
      arena.insert(arena.end(), p.payload.begin(), p.payload.end());
    } else {
      copied_at.push_back(kNotCopied);
    }
  }
  // Points copied payloads at the arena, now that it no longer moves.
  void seal() {
    for (std::size_t i = 0; i < packets.size(); ++i)
      if (copied_at[i] != kNotCopied) packets[i].payload = {arena.data() + copied_at[i], packets[i].payload.size()};
  }
};

// A blocking queue of batches; closing it lets the consumer drain and stop.
class Channel {
 public:
  void push(std::unique_ptr<Batch> b) {
    {
      const std::lock_guard lock(mutex_);
      queue_.push_back(std::move(b));
    }
    ready_.notify_one();
  }
  std::unique_ptr<Batch> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return nullptr;
    auto b = std::move(queue_.front());
    queue_.pop_front();
    return b;
  }
  void close() {
    {
      const std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<Batch>> queue_;
  bool closed_ = false;
};

// One shard of the flows. On a thread of its own it is fed batches through `full` and gives them
// back through `empty`; the packets of a batch are at hand ahead of time, so their flows' index
// entries are loaded a few packets early and the lookups do not wait on memory one after
// another (about 8 % of the worker's time on the benchmark capture). Inline (one thread in
// all) each packet goes straight to the table: batching it there cost more than it saved.
class Worker {
 public:
  // `dns` null: no dissectors (--flows-only). `keylog` is told of every TLS and QUIC handshake.
  Worker(const flow::Config& config, flow::FlowSink& flows, dissect::DnsSink* dns, dissect::HttpSink* http,
         decrypt::KeyLog* keylog, bool threaded)
      : table_(config, dissectors_, flows), threaded_(threaded) {
    if (dns != nullptr) {
      dissect::add_dns(dissectors_, *dns, dns_counters_);
      dissect::add_quic(dissectors_, quic_counters_, keylog, &tcp_counters_.http, http);
      dissect::add_tcp(dissectors_, tcp_counters_, keylog, http);
    }
    if (!threaded_) return;
    for (int i = 0; i < kBatchesInFlight; ++i) {
      auto b = std::make_unique<Batch>();
      b->packets.reserve(Batch::kPackets);
      empty_.push(std::move(b));
    }
    filling_ = empty_.pop();
    thread_ = std::thread([this] { run(); });
  }

  ~Worker() {
    if (thread_.joinable()) {  // unwinding before finish(): let the thread end
      full_.close();
      thread_.join();
    }
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // `copy`: the payload will not outlive the reader's next frame.
  void add(const decode::PacketView& p, std::uint64_t frame, bool copy) {
    if (!threaded_) {
      table_.on_packet(p, frame);
      return;
    }
    filling_->add(p, frame, copy);
    if (filling_->packets.size() == Batch::kPackets) hand_over();
  }
  // No more packets: the last batch is processed and every flow ends.
  void finish() {
    if (!threaded_) {
      table_.finish();
      return;
    }
    hand_over();
    full_.close();
    thread_.join();
  }
  // Flows live now; callable from the reading thread while the worker runs.
  [[nodiscard]] std::size_t live() const {
    return threaded_ ? live_.load(std::memory_order_relaxed) : table_.live();
  }
  // After finish().
  [[nodiscard]] const flow::FlowTable& table() const { return table_; }
  [[nodiscard]] const core::Counters<dissect::DnsCounter>& dns_counters() const { return dns_counters_; }
  [[nodiscard]] const core::Counters<dissect::QuicCounter>& quic_counters() const { return quic_counters_; }
  [[nodiscard]] const dissect::TcpDissectorCounters& tcp_counters() const { return tcp_counters_; }

 private:
  static constexpr int kBatchesInFlight = 8;  // bounds the memory between reader and worker
  static constexpr std::size_t kLookahead = 8;

  void hand_over() {
    filling_->seal();
    full_.push(std::move(filling_));
    filling_ = empty_.pop();
  }
  void process(Batch& b) {
    const std::size_t n = b.packets.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kLookahead < n) table_.prefetch(b.packets[i + kLookahead]);
      table_.on_packet(b.packets[i], b.frames[i]);
    }
    live_.store(table_.live(), std::memory_order_relaxed);
    b.clear();
  }
  void run() {
    while (auto b = full_.pop()) {
      process(*b);
      empty_.push(std::move(b));
    }
    table_.finish();
  }

  // The dissectors are the worker's own, so their counters need no locks.
  core::Counters<dissect::DnsCounter> dns_counters_;
  core::Counters<dissect::QuicCounter> quic_counters_;
  dissect::TcpDissectorCounters tcp_counters_;
  flow::DissectorTable dissectors_;
  flow::FlowTable table_;
  const bool threaded_;
  std::atomic<std::size_t> live_{0};
  Channel full_;   // reader → worker
  Channel empty_;  // worker → reader
  std::unique_ptr<Batch> filling_;
  std::thread thread_;
};

// Same shard for both directions of a flow.
std::size_t shard_of(const decode::PacketView& p, std::size_t shards) {
  const bool src_low = p.src <= p.dst;
  const std::size_t h = absl::HashOf(src_low ? p.src : p.dst, src_low ? p.dst : p.src, p.ip_proto);
  return h % shards;
}

bool inside(core::Bytes part, core::Bytes whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// An App Privacy Report is JSON text; every capture format begins with binary magic.
// Whether the file's first bytes pass `test` (a HAR document, an App Privacy Report).
bool starts_like(const std::string& path, bool (*test)(std::string_view)) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char head[64];
  const std::size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  return test(std::string_view(head, n));
}

std::FILE* open_output(const std::string& path) {
  if (path == "-") return stdout;
  return std::fopen(path.c_str(), "wb");
}

// Everything enrichment reads, loaded before the first packet; a file that cannot be used stops
// the run before any work is done.
struct Enrichment {
  enrich::Locator locator;
  enrich::Catalog catalog;
  enrich::TagLists tags;
  enrich::AppMap app_map;

  absl::Status load(const AuditOptions& o, core::AppRegistry& apps) {
    TATTLE_RETURN_IF_ERROR(locator.open_location(o.location_db));
    for (const auto& m : o.mmdbs) TATTLE_RETURN_IF_ERROR(locator.add_mmdb(m));
    TATTLE_RETURN_IF_ERROR(load_catalog(catalog, o.no_default_entities, o.entities));
    for (const auto& t : o.tag_lists) {
      const auto eq = t.find('=');
      if (eq == std::string::npos) return absl::InvalidArgumentError(fmt::format("--tag-list {}: expected NAME=FILE", t));
      auto loaded = tags.load(t.substr(0, eq), t.substr(eq + 1));
      if (!loaded.ok()) return loaded.status();
      if (loaded->skipped > 0)
        fmt::print(stderr, "tattle: {}: {} domains; {} lines were not whole-domain rules and were passed over\n",
                   t.substr(eq + 1), loaded->domains, loaded->skipped);
    }
    if (!o.app_map.empty()) TATTLE_RETURN_IF_ERROR(app_map.load(o.app_map, apps));
    return absl::OkStatus();
  }
};

// Hands every flow to the policy, in the sinks' serialised calls.
class PolicySink final : public report::RunSink {
 public:
  explicit PolicySink(detect::Policy& policy) : policy_(policy) {}
  void on_flow(flow::FlowRecord& f) override { policy_.check(f); }
  void finish(const report::RunStats&) override {}

 private:
  detect::Policy& policy_;
};

// Hands every flow's send events and every HTTP request's time to the keystroke detector, in the
// sinks' serialised calls; the tests run when the flows have all ended, before the report sinks
// finish (this sink comes before them).
class KeystrokeSink final : public report::RunSink {
 public:
  explicit KeystrokeSink(detect::KeystrokeDetector& detector) : detector_(detector) {}
  void on_flow(flow::FlowRecord& f) override { detector_.add_flow(f); }
  void on_http(const dissect::HttpExchange& x) override {
    if (x.has_request) detector_.add_message(x.flow_id, x.stream_id, x.request.time.ns);
  }
  void finish(const report::RunStats&) override { detector_.analyse(); }

 private:
  detect::KeystrokeDetector& detector_;
};

}  // namespace

absl::Status load_catalog(enrich::Catalog& catalog, bool no_default, const std::vector<std::string>& extra) {
  if (!no_default) TATTLE_RETURN_IF_ERROR(catalog.load(TATTLE_DATA_DIR "/entities"));
  for (const auto& e : extra) TATTLE_RETURN_IF_ERROR(catalog.load(e));
  return catalog.link();
}

// A key log file, read in pieces (it may be large) at line boundaries; damaged lines are
// reported as damage to the file, at their offsets.
absl::Status read_keylog(const std::string& path, decrypt::KeyLog& keylog, core::Diagnostics& diag) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::NotFoundError(fmt::format("cannot read key log {}: {}", path, std::strerror(errno)));
  const std::uint32_t input = diag.add_input(path);
  std::string text;
  std::vector<char> chunk(1 << 20);
  std::uint64_t offset = 0;  // of text's first byte in the file
  std::size_t n;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), f)) > 0) {
    text.append(chunk.data(), n);
    const std::size_t end = text.rfind('\n');
    if (end == std::string::npos) {
      if (text.size() <= (std::size_t{1} << 20)) continue;
      // A line longer than any key log line: read as it is (and reported), not kept growing.
      keylog.add_text(text, &diag, input, offset);
      offset += text.size();
      text.clear();
      continue;
    }
    keylog.add_text(std::string_view(text).substr(0, end + 1), &diag, input, offset);
    offset += end + 1;
    text.erase(0, end + 1);
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::DataLossError(fmt::format("cannot read key log {}", path));
  keylog.add_text(text, &diag, input, offset);
  return absl::OkStatus();
}

int run_audit(const AuditOptions& options) {
  core::Diagnostics diag(stderr);
  core::AppRegistry apps;
  report::RunStats stats;
  stats.threads = std::max(1u, options.threads);

  bool unreadable = false;
  std::vector<std::unique_ptr<capture::PacketSource>> sources;
  std::vector<capture::PacketSource*> opened;  // input order, for the report
  std::vector<std::size_t> report_index;       // opened[i] → stats.inputs index
  std::vector<std::uint32_t> opened_input;     // opened[i] → its diag input
  std::vector<std::pair<std::string, std::uint32_t>> privacy_reports;  // path, input index
  std::vector<std::pair<std::string, std::uint32_t>> hars;             // path, input index
  for (const auto& path : options.inputs) {
    const std::uint32_t input = diag.add_input(path);
    // Inputs that are records rather than packets: read after the captures.
    const auto records = [&](std::vector<std::pair<std::string, std::uint32_t>>& list, std::string_view format) {
      list.emplace_back(path, input);
      report::InputReport in;
      in.info.path = path;
      in.info.format = format;
      stats.inputs.push_back(std::move(in));
    };
    if (starts_like(path, capture::looks_like_har)) {
      records(hars, "har");
      continue;
    }
    if (starts_like(path, capture::looks_like_json_lines)) {
      records(privacy_reports, "app-privacy-report");
      continue;
    }
    capture::Limits limits;
    limits.read_ahead_thread = stats.threads > 1;
    auto src = capture::PacketSource::open(path, input, diag, apps, limits);
    report::InputReport in;
    in.info.path = path;
    if (!src.ok()) {
      fmt::print(stderr, "tattle: {}: {}\n", path, std::string(src.status().message()));
      in.error = std::string(src.status().message());
      unreadable = true;
    } else {
      opened.push_back(src->get());
      opened_input.push_back(input);
      report_index.push_back(stats.inputs.size());
      sources.push_back(std::move(*src));
    }
    stats.inputs.push_back(std::move(in));
  }

  if (!privacy_reports.empty() && privacy_reports.size() != options.inputs.size()) {
    fmt::print(stderr, "tattle: an App Privacy Report is audited on its own, not with captures\n");
    return kExitUsage;
  }
  // `tattle messages` needs the dissectors, not owners and places.
  const bool enriched = !options.flows_only && !options.messages;
  auto enrichment = std::make_unique<Enrichment>();
  detect::Policy policy;
  if (enriched) {
    if (auto st = enrichment->load(options, apps); !st.ok()) {
      fmt::print(stderr, "tattle: {}\n", std::string(st.message()));
      return kExitUnreadable;
    }
    if (enrichment->locator.sources().empty())
      fmt::print(stderr, "tattle: no location database (Debian: libloc-database); networks and countries unknown\n");
    stats.enriched = true;
    stats.location_sources = enrichment->locator.sources();
    stats.entities = enrichment->catalog.size();
  }
  if (!options.policy.empty()) {
    if (auto st = policy.load(options.policy); !st.ok()) {
      fmt::print(stderr, "tattle: {}\n", std::string(st.message()));
      return kExitUnreadable;
    }
    stats.policy = &policy;
  }

  // The keystroke log, read before the packets: with it, flows keep their clients' send events.
  std::unique_ptr<detect::KeystrokeDetector> keystrokes;
  if (!options.keystrokes.empty() && !options.messages) {
    const std::uint32_t input = diag.add_input(options.keystrokes);
    auto log = capture::read_keystrokes(options.keystrokes, input, diag, options.keystroke_device);
    if (!log.ok()) {
      fmt::print(stderr, "tattle: {}\n", std::string(log.status().message()));
      return kExitUnreadable;
    }
    std::optional<std::int64_t> offset;
    if (options.keystroke_offset) offset = std::llround(*options.keystroke_offset * 1e9);
    keystrokes = std::make_unique<detect::KeystrokeDetector>(std::move(log->times), log->epoch, offset);
    stats.keystrokes = report::KeystrokeRun{options.keystrokes, log->format, log->counts, log->epoch,
                                            std::move(log->devices), keystrokes.get()};
  }

  // Outputs. The text summary goes to stdout unless a machine-readable report goes there.
  std::vector<std::unique_ptr<report::RunSink>> owned;
  if (stats.policy != nullptr) owned.push_back(std::make_unique<PolicySink>(policy));
  if (keystrokes) owned.push_back(std::make_unique<KeystrokeSink>(*keystrokes));
  std::vector<std::FILE*> files;
  report::Fanout sinks;
  bool stdout_taken = false;
  for (const auto* path : {&options.json_path, &options.ndjson_path}) {
    if (path->empty()) continue;
    std::FILE* f = open_output(*path);
    if (f == nullptr) {
      fmt::print(stderr, "tattle: cannot write {}: {}\n", *path, std::strerror(errno));
      return kExitUnreadable;
    }
    if (f == stdout) stdout_taken = true;
    else files.push_back(f);
    if (path == &options.json_path)
      owned.push_back(std::make_unique<report::JsonReport>(f, apps, enriched, options.include_bodies));
    else
      owned.push_back(std::make_unique<report::NdjsonSink>(f, apps, enriched, options.include_bodies));
  }
  if (options.messages) {
    owned.push_back(std::make_unique<report::MessageLog>(stdout, options.messages_flow, options.include_bodies));
  } else if (options.json_path.empty() && !stdout_taken) {
    const bool colour = options.colour == AuditOptions::Colour::kAlways ||
                        (options.colour == AuditOptions::Colour::kAuto && isatty(STDOUT_FILENO) != 0 &&
                         std::getenv("NO_COLOR") == nullptr);
    owned.push_back(std::make_unique<report::TextSummary>(stdout, apps, enriched, colour));
  }
  for (auto& s : owned) sinks.add(s.get());

  flow::Config config;
  if (keystrokes) config.send_merge_ns = detect::KeystrokeDetector::kSendMergeNs;
  decode::Decoder decoder(diag, apps);
  // Flows and DNS transactions pass through naming on their way to the sinks.
  enrich::ResolutionMap resolutions;
  const enrich::Enricher enricher(enrichment->locator, enrichment->catalog, enrichment->tags, enrichment->app_map);
  enrich::Namer namer(resolutions, enricher, sinks, sinks);
  // Names from pcapng NRB blocks, as the readers come across them. Looked for after every frame,
  // in the inputs that can have them: the lists are held here rather than asked of each reader
  // (a virtual call), and the look is a comparison of sizes, kept apart from the taking so that
  // it is inlined.
  std::vector<const std::vector<capture::NameRecord>*> name_lists;
  if (enriched)
    for (const auto* src : opened)
      if (src->info().format == "pcapng") name_lists.push_back(&src->names());
  std::vector<std::size_t> names_taken(name_lists.size(), 0);
  const auto names_waiting = [&] {
    for (std::size_t i = 0; i < name_lists.size(); ++i)
      if (name_lists[i]->size() != names_taken[i]) return true;
    return false;
  };
  const auto take_names = [&] {
    for (std::size_t i = 0; i < name_lists.size(); ++i) {
      const auto& names = *name_lists[i];
      for (; names_taken[i] < names.size(); ++names_taken[i])
        resolutions.add_known(names[names_taken[i]].addr, names[names_taken[i]].name);
    }
  };
  // Secrets: the key log files first, then those of pcapng DSBs as the readers come across them
  // (a DSB comes before the packets it decrypts), looked for as the NRB names are.
  decrypt::KeyLog keylog;
  if (!options.flows_only) {
    for (const auto& path : options.keylogs)
      if (auto st = read_keylog(path, keylog, diag); !st.ok()) {
        fmt::print(stderr, "tattle: {}\n", std::string(st.message()));
        return kExitUnreadable;
      }
  }
  struct SecretList {
    const std::vector<capture::Secret>* secrets;
    std::uint32_t input;
    std::size_t taken = 0;
  };
  std::vector<SecretList> secret_lists;
  if (!options.flows_only)
    for (std::size_t i = 0; i < opened.size(); ++i)
      if (opened[i]->info().format == "pcapng") secret_lists.push_back({&opened[i]->secrets(), opened_input[i]});
  const auto take_secrets = [&] {
    for (auto& list : secret_lists)
      for (; list.taken < list.secrets->size(); ++list.taken) {
        const capture::Secret& s = (*list.secrets)[list.taken];
        if (s.type == capture::Secret::kTlsKeyLog) keylog.add_text(s.data, &diag, list.input, s.offset);
      }
  };
  // Handshakes are looked up only where keys can be: given, or possibly in a pcapng's DSBs.
  decrypt::KeyLog* const handshake_keys = options.keylogs.empty() && secret_lists.empty() ? nullptr : &keylog;
  capture::MergedSource merged(std::move(sources));
  Progress progress(stderr, !options.quiet);
  capture::Frame frame;
  std::uint64_t frame_number = 0;

  // One thread does everything. With more, this thread
  // only reads and decodes, and each of threads - 1 workers owns a shard of the flows: reading and
  // decoding is the larger part of the work, so a shard beside it would make this thread the
  // one everything waits for.
  const bool threaded = stats.threads > 1;
  const std::size_t shards = threaded ? stats.threads - 1 : 1;
  // Objects the workers share need locks only when there are several workers.
  sinks.set_shared(threaded);
  resolutions.set_shared(threaded);
  keylog.set_shared(threaded);
  enrichment->locator.set_shared(threaded);
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::size_t i = 0; i < shards; ++i)
    workers.push_back(options.flows_only
                          ? std::make_unique<Worker>(config, sinks, nullptr, nullptr, nullptr, threaded)
                          : std::make_unique<Worker>(config, namer, &namer, &sinks, handshake_keys, threaded));
  const bool stable = merged.stable();
  while (merged.next(frame)) {
    ++frame_number;
    if (names_waiting()) take_names();
    if (!secret_lists.empty()) take_secrets();
    decoder.decode(frame, [&](const decode::PacketView& p) {
      Worker& w = *workers[shards == 1 ? 0 : shard_of(p, shards)];
      w.add(p, frame_number, !stable || !inside(p.payload, frame.data));
    });
    if (frame_number % kProgressEvery == 0) {
      std::size_t live = 0;
      for (const auto& w : workers) live += w->live();
      progress.update(merged.position(), merged.size(), frame_number, live);
    }
  }
  take_names();  // an NRB after the last packet still names the flows that end now
  take_secrets();
  // App Privacy Report records become flows without packets: an app, a domain, times and hits.
  std::uint64_t record_number = 0;
  for (const auto& [path, input] : privacy_reports) {
    capture::PrivacyReportCounts counts;
    flow::FlowSink& next = options.flows_only ? static_cast<flow::FlowSink&>(sinks) : namer;
    const auto st = capture::read_privacy_report(path, input, diag, [&](const capture::NetworkActivity& a) {
      flow::FlowRecord f;
      f.id = 8 * ++record_number;
      f.app = apps.intern(core::AppInfo{.name = a.bundle_id});
      f.add_name(a.domain, flow::NameSource::kReport);
      f.start = a.first;
      f.end = a.last;
      f.hits = a.hits;
      next.on_flow(f);
    }, counts);
    if (!st.ok()) {
      fmt::print(stderr, "tattle: {}\n", std::string(st.message()));
      stats.inputs[input].error = std::string(st.message());
      unreadable = true;
    }
    stats.inputs[input].records = counts.network_activity;
  }
  // HAR files: exchanges already decrypted, and the flows their entries name.
  core::Counters<dissect::HttpCounter> har_counters;
  for (const auto& [path, input] : hars) {
    capture::HarCounts counts;
    dissect::HarFlows flows(sinks, har_counters);
    const auto st = capture::read_har(path, input, diag, [&](const capture::HarEntry& e) { flows.add(e); }, counts);
    flows.finish(options.flows_only ? static_cast<flow::FlowSink&>(sinks) : namer);
    if (!st.ok()) {
      fmt::print(stderr, "tattle: {}\n", std::string(st.message()));
      stats.inputs[input].error = std::string(st.message());
      unreadable = true;
    }
    stats.inputs[input].records = counts.entries;
  }
  stats.http.merge(har_counters);
  for (auto& w : workers) {
    w->finish();
    stats.flows.merge(w->table().counters());
    stats.reassembly.merge(w->table().reassembly_counters());
    stats.dns.merge(w->dns_counters());
    stats.quic.merge(w->quic_counters());
    stats.tcp_payload.merge(w->tcp_counters().payload);
    stats.tls.merge(w->tcp_counters().tls);
    stats.http.merge(w->tcp_counters().http);
  }
  stats.resolutions_dropped = resolutions.dropped();
  stats.keylog = keylog.counters();
  stats.keylog_files = options.keylogs.size();
  stats.keylog_connections = keylog.connections();
  stats.keylog_unused = keylog.unused();
  progress.done();

  stats.frames = frame_number;
  stats.decode = decoder.counters();
  stats.unknown_link_types = decoder.unknown_link_types();
  for (std::size_t i = 0; i < opened.size(); ++i) {
    report::InputReport& in = stats.inputs[report_index[i]];
    in.info = opened[i]->info();
    in.name_records = opened[i]->names().size();
    in.secrets = opened[i]->secrets().size();
  }
  for (std::size_t i = 0; i < stats.inputs.size(); ++i) stats.inputs[i].warnings = diag.inputs()[i];
  stats.warnings = diag.total();
  stats.apps = apps.size();
  stats.apps_dropped = apps.dropped();
  sinks.finish(stats);

  bool write_failed = false;
  owned.clear();  // the writers flush as they go: before their files close
  for (auto* f : files)
    if (std::fclose(f) != 0) write_failed = true;
  if (std::fflush(stdout) != 0) write_failed = true;
  if (write_failed) {
    fmt::print(stderr, "tattle: writing the report failed: {}\n", std::strerror(errno));
    return kExitUnreadable;
  }
  if (unreadable) return kExitUnreadable;
  if (stats.policy != nullptr && !policy.findings().empty()) return kExitPolicy;
  if (keystrokes && !keystrokes->findings().empty()) return kExitPolicy;
  return stats.warnings > 0 ? kExitDamaged : kExitOk;
}

}  // namespace tattle::app
