// pcapng (draft-ietf-opsawg-pcapng): blocks framed by a type, a total length and the same length
// repeated at the end. The repeated length is what lets us tell a lying block from a good one,
// and what resynchronisation looks for.
#include <absl/container/flat_hash_map.h>
#include <absl/strings/string_view.h>
#include <fmt/format.h>

#include "capture/app_metadata.hpp"
#include "capture/reader_base.hpp"

namespace tattle::capture {

namespace {

// Block types, §4 and the IANA-style registry in the draft's appendix.
constexpr std::uint32_t kShb = 0x0A0D0D0A;
constexpr std::uint32_t kIdb = 0x00000001;
constexpr std::uint32_t kPb = 0x00000002;  // obsolete Packet Block
constexpr std::uint32_t kSpb = 0x00000003;
constexpr std::uint32_t kNrb = 0x00000004;
constexpr std::uint32_t kIsb = 0x00000005;
constexpr std::uint32_t kEpb = 0x00000006;
constexpr std::uint32_t kJournal = 0x00000009;
constexpr std::uint32_t kDsb = 0x0000000A;
constexpr std::uint32_t kCustom = 0x00000BAD;
constexpr std::uint32_t kCustomNoCopy = 0x40000BAD;
constexpr std::uint32_t kDarwinProcess = 0x80000001;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;

constexpr std::uint16_t kOptComment = 1;
constexpr std::uint16_t kOptIfTsresol = 9;
constexpr std::uint16_t kOptIfTsoffset = 14;
constexpr std::uint16_t kOptEpbProcessThread = 8;
constexpr std::uint16_t kOptDarwinProcess = 0x8001;
constexpr std::uint16_t kOptDarwinEffective = 0x8003;

bool known_type(std::uint32_t t) {
  switch (t) {
    case kShb:
    case kIdb:
    case kPb:
    case kSpb:
    case kNrb:
    case kIsb:
    case kEpb:
    case kJournal:
    case kDsb:
    case kCustom:
    case kCustomNoCopy:
    case kDarwinProcess:
      return true;
    default:
      return false;
  }
}

std::uint32_t load32(const std::uint8_t* p, bool be) {
  return be ? core::ByteReader::load_u32be(p) : core::ByteReader::load_u32le(p);
}

constexpr std::size_t pad4(std::size_t n) { return (4 - (n & 3)) & 3; }

struct Interface {
  std::uint32_t link_type = 0;
  std::uint32_t snaplen = 0;
  TsScale scale;  // default 10^-6
  std::int64_t offset_s = 0;
};

struct DarwinProcess {
  std::int64_t pid = -1;
  std::string name;
};

struct WiresharkProcess {
  core::AppId app = core::kNoApp;
  std::optional<std::int64_t> start_ns;
};

// Result of framing one block at the current offset.
enum class Framing { kOk, kEnd, kDamaged };

template <class In>
class PcapngReader final : public ReaderBase {
 public:
  PcapngReader(std::unique_ptr<In> in, ReaderContext ctx)
      : ReaderBase(std::move(ctx)), in_(std::move(in)) {}

  bool next(Frame& f) override {
    while (!done_) {
      const std::uint64_t at = in_->offset();
      std::uint32_t type = 0;
      core::Bytes block;
      std::string problem;
      switch (frame_block(type, block, problem)) {
        case Framing::kEnd:
          done_ = true;
          return false;
        case Framing::kDamaged:
          count(CaptureCounter::kBadBlocks);
          damaged(at, problem);
          continue;
        case Framing::kOk:
          break;
      }
      const core::Bytes body = block.subspan(8, block.size() - 12);
      bool packet = false;
      switch (type) {
        case kEpb:
          packet = on_epb(body, at, f);
          break;
        case kPb:
          packet = on_pb(body, at, f);
          break;
        case kSpb:
          packet = on_spb(body, at, f);
          break;
        case kShb:
          on_shb(body, at);
          break;
        case kIdb:
          on_idb(body, at);
          break;
        case kNrb:
          on_nrb(body, at);
          break;
        case kIsb:
          count(CaptureCounter::kStatistics);
          break;
        case kDsb:
          on_dsb(body, at);
          break;
        case kCustom:
        case kCustomNoCopy:
          on_custom(body);
          break;
        case kDarwinProcess:
          on_darwin_process(body);
          break;
        default:
          count(CaptureCounter::kSkippedBlocks);
          break;
      }
      in_->advance(block.size());
      if (packet) {
        prefetch_next(*in_);
        note_packet(f);
        return true;
      }
    }
    return false;
  }

  [[nodiscard]] bool stable() const override { return In::kStable; }
  [[nodiscard]] std::uint64_t position() const override { return in_->position(); }
  [[nodiscard]] std::uint64_t size() const override { return in_->size(); }

 private:
  // Frames the block at the current offset without consuming it. SHBs carry their own byte
  // order (§4.1); every other block uses the current section's.
  Framing frame_block(std::uint32_t& type, core::Bytes& block, std::string& problem) {
    core::Bytes w = in_->window(12);
    if (w.empty()) return Framing::kEnd;
    if (w.size() < 12) {
      if (!all_zero(w)) {
        warn(in_->offset(), fmt::format("{} trailing bytes, too few for a block", w.size()));
      }
      count(CaptureCounter::kSkippedBytes, w.size());
      in_->advance(w.size());
      return Framing::kEnd;
    }
    bool be = be_;
    type = load32(w.data(), be);
    if (type == kShb) {
      if (core::ByteReader::load_u32le(w.data() + 8) == kByteOrderMagic) {
        be = false;
      } else if (core::ByteReader::load_u32be(w.data() + 8) == kByteOrderMagic) {
        be = true;
      } else {
        problem = "section header block with a bad byte-order magic";
        return Framing::kDamaged;
      }
      pending_be_ = be;
    }
    const std::uint32_t len = load32(w.data() + 4, be);
    if (len < 12 || len % 4 != 0 || len > kMaxBlockLength) {
      problem = fmt::format("block of type 0x{:08x} has an impossible length {}", type, len);
      return Framing::kDamaged;
    }
    w = in_->window(len);
    if (w.size() < len) {
      problem = fmt::format(
          "block of type 0x{:08x} with length {} runs past the end ({} bytes "
          "left)",
          type, len, w.size());
      return Framing::kDamaged;
    }
    const std::uint32_t trailer = load32(w.data() + len - 4, be);
    if (trailer != len) {
      problem = fmt::format("block of type 0x{:08x} with length {} ends with length {}", type, len,
                            trailer);
      return Framing::kDamaged;
    }
    block = w.first(len);
    return Framing::kOk;
  }

  static bool all_zero(core::Bytes b) {
    for (const std::uint8_t x : b)
      if (x != 0) return false;
    return true;
  }

  // A block that frames correctly (known type, sane length, matching trailer) at the current
  // offset, given the section byte order.
  bool plausible_here() {
    core::Bytes w = in_->window(12);
    if (w.size() < 12) return false;
    bool be = be_;
    std::uint32_t type = load32(w.data(), be);
    if (type == kShb) {
      if (core::ByteReader::load_u32le(w.data() + 8) == kByteOrderMagic)
        be = false;
      else if (core::ByteReader::load_u32be(w.data() + 8) == kByteOrderMagic)
        be = true;
      else
        return false;
    }
    if (!known_type(type)) return false;
    const std::uint32_t len = load32(w.data() + 4, be);
    if (len < 12 || len % 4 != 0 || len > kMaxBlockLength) return false;
    w = in_->window(len);
    return w.size() >= len && load32(w.data() + len - 4, be) == len;
  }

  // Scans forward in 4-byte steps (blocks are 32-bit aligned, §3.1) from the damaged block at
  // `at` for one that frames correctly; reports either way. Without one, reading stops.
  void damaged(std::uint64_t at, const std::string& what) {
    std::uint64_t skipped = 0;
    while (true) {
      const core::Bytes w = in_->window(16);
      if (w.size() < 16) break;
      in_->advance(4);
      skipped += 4;
      if (plausible_here()) {
        count(CaptureCounter::kSkippedBytes, skipped);
        warn(at, fmt::format("{}; skipped {} bytes to a plausible block at offset {}", what,
                             skipped, in_->offset()));
        return;
      }
    }
    skipped += in_->skip(~std::uint64_t{0});
    count(CaptureCounter::kSkippedBytes, skipped);
    warn(at, fmt::format("{}; no plausible block after it, {} bytes skipped to the end", what,
                         skipped));
    done_ = true;
  }

  // ---- blocks ---------------------------------------------------------------------------

  void on_shb(core::Bytes body, std::uint64_t at) {
    be_ = pending_be_;
    core::ByteReader r(body);
    r.u32(be_);  // byte-order magic, checked when framing
    const std::uint16_t major = r.u16(be_);
    const std::uint16_t minor = r.u16(be_);
    if (!r.ok()) {
      warn(at, "section header block too short");
    } else if (major != 1) {
      warn(at, fmt::format("pcapng section version {}.{}, reading as 1.0", major, minor));
    }
    count(CaptureCounter::kSections);
    // Everything numbered within a section starts over (§4.1).
    interfaces_.clear();
    darwin_.clear();
    darwin_apps_.clear();
    wireshark_.clear();
    wireshark_entries_ = 0;
  }

  void on_idb(core::Bytes body, std::uint64_t at) {
    core::ByteReader r(body);
    Interface i;
    i.link_type = r.u16(be_);
    r.u16(be_);  // reserved
    i.snaplen = r.u32(be_);
    if (!r.ok()) {
      warn(at, "interface description block too short; interface kept with defaults");
    }
    for_each_option(r, be_, [&](std::uint16_t code, core::Bytes v) {
      if (code == kOptIfTsresol && v.size() == 1) i.scale = TsScale::from_tsresol(v[0]);
      if (code == kOptIfTsoffset && v.size() == 8) {
        core::ByteReader o(v);
        i.offset_s = static_cast<std::int64_t>(o.u64(be_));
      }
    });
    count(CaptureCounter::kInterfaces);
    if (!room(interfaces_.size())) return;
    add_link_type(i.link_type);
    interfaces_.push_back(i);
  }

  // Whether another metadata entry may be kept; counts it as dropped if not.
  bool room(std::size_t held) {
    if (held < kMaxMetadata) return true;
    count(CaptureCounter::kMetadataDropped);
    return false;
  }

  bool bad_record(std::uint64_t at, std::string msg) {
    count(CaptureCounter::kBadRecords);
    warn(at, std::move(msg));
    return false;
  }

  // Common tail of EPB and PB: checks, the frame, and app metadata from the options.
  bool packet(core::ByteReader& r, std::uint32_t iface, std::uint64_t ts, std::uint32_t caplen,
              std::uint32_t wirelen, std::uint64_t at, Frame& f) {
    if (!r.ok()) return bad_record(at, "packet block too short for its fixed fields");
    if (iface >= interfaces_.size())
      return bad_record(at, fmt::format("packet on undeclared interface {}", iface));
    if (caplen > r.remaining())
      return bad_record(at, fmt::format("captured length {} exceeds the block ({} bytes)", caplen,
                                        r.remaining()));
    if (caplen > limits_.max_record)
      return bad_record(
          at, fmt::format("captured length {} above the limit {}", caplen, limits_.max_record));
    const Interface& i = interfaces_[iface];
    f.data = r.take(caplen);
    r.skip(pad4(caplen));
    f.ts = core::Timestamp{i.scale.to_ns(ts, i.offset_s)};
    f.wire_len = wirelen;
    f.link_type = i.link_type;
    f.input = input_;
    f.offset = at;
    f.app = app_from_options(r, f.ts);
    last_ts_ = f.ts;
    return true;
  }

  bool on_epb(core::Bytes body, std::uint64_t at, Frame& f) {
    core::ByteReader r(body);
    const std::uint32_t iface = r.u32(be_);
    return timed_packet(r, iface, at, f);
  }

  // The obsolete Packet Block differs from the EPB only in its 16-bit interface id and drops count.
  bool on_pb(core::Bytes body, std::uint64_t at, Frame& f) {
    core::ByteReader r(body);
    const std::uint32_t iface = r.u16(be_);
    r.u16(be_);  // drops count
    return timed_packet(r, iface, at, f);
  }

  // The fields after the interface id: timestamp (high, low), captured and original length.
  bool timed_packet(core::ByteReader& r, std::uint32_t iface, std::uint64_t at, Frame& f) {
    const std::uint64_t hi = r.u32(be_);
    const std::uint64_t lo = r.u32(be_);
    const std::uint32_t caplen = r.u32(be_);
    const std::uint32_t wirelen = r.u32(be_);
    return packet(r, iface, hi << 32 | lo, caplen, wirelen, at, f);
  }

  // §4.4: no interface id (always interface 0), no timestamp, no captured length: that is the
  // smallest of the original length, the snaplen and what the block holds.
  bool on_spb(core::Bytes body, std::uint64_t at, Frame& f) {
    core::ByteReader r(body);
    const std::uint32_t wirelen = r.u32(be_);
    if (!r.ok()) return bad_record(at, "simple packet block too short");
    if (interfaces_.empty()) return bad_record(at, "simple packet block before any interface");
    const Interface& i = interfaces_[0];
    std::size_t caplen = r.remaining();
    if (wirelen < caplen) caplen = wirelen;
    if (i.snaplen != 0 && i.snaplen < caplen) caplen = i.snaplen;
    if (caplen > limits_.max_record)
      return bad_record(
          at, fmt::format("captured length {} above the limit {}", caplen, limits_.max_record));
    f.data = r.take(caplen);
    f.ts = last_ts_;  // SPBs carry no time; the previous packet's is the best guess for merging
    f.wire_len = wirelen;
    f.link_type = i.link_type;
    f.input = input_;
    f.offset = at;
    f.app = core::kNoApp;
    return true;
  }

  // §4.5: records of type 1 (IPv4) and 2 (IPv6): an address and one or more NUL-terminated
  // names.
  void on_nrb(core::Bytes body, std::uint64_t at) {
    core::ByteReader r(body);
    while (r.remaining() >= 4) {
      const std::uint16_t type = r.u16(be_);
      const std::uint16_t len = r.u16(be_);
      if (type == 0) return;
      core::ByteReader v = r.sub(len);
      r.skip(pad4(len));
      if (!r.ok()) {
        warn(at, "name resolution record runs past its block");
        return;
      }
      core::IpAddress addr;
      if (type == 1 && len >= 4) {
        addr = core::IpAddress::v4(v.take(4).first<4>());
      } else if (type == 2 && len >= 16) {
        addr = core::IpAddress::v6(v.take(16).first<16>());
      } else {
        continue;
      }
      std::string_view names = as_text(v.rest());
      while (!names.empty()) {
        const std::size_t end = names.find('\0');
        const std::string_view name = names.substr(0, end);
        if (!name.empty() && room(names_.size())) {
          names_.push_back(NameRecord{addr, std::string(name)});
          count(CaptureCounter::kNameRecords);
        }
        if (end == std::string_view::npos) break;
        names.remove_prefix(end + 1);
      }
    }
  }

  void on_dsb(core::Bytes body, std::uint64_t at) {
    core::ByteReader r(body);
    Secret s;
    s.type = r.u32(be_);
    const std::uint32_t len = r.u32(be_);
    const core::Bytes data = r.take(len);
    if (!r.ok()) {
      warn(at, fmt::format("decryption secrets length {} exceeds its block", len));
      count(CaptureCounter::kSkippedBlocks);
      return;
    }
    if (!room(secrets_.size())) return;
    if (secret_bytes_ + data.size() > kMaxSecretBytes) {
      count(CaptureCounter::kMetadataDropped);
      return;
    }
    secret_bytes_ += data.size();
    s.data.assign(as_text(data));
    s.offset = at + 16;  // past the block's type and length and the secret's type and length
    secrets_.push_back(std::move(s));
    count(CaptureCounter::kSecrets);
  }

  void on_custom(core::Bytes body) {
    core::ByteReader r(body);
    const std::uint32_t pen = r.u32(be_);
    const core::Bytes data = r.rest();
    if (r.ok() && pen == kPenPcapdroid) {
      if (auto m = parse_pcapdroid_block(data, be_)) {
        apps_->name_uid(m->uid, std::move(m->name));
        return;
      }
    } else if (r.ok() && pen == kPenWireshark) {
      if (!room(wireshark_entries_)) return;
      if (auto p = parse_wireshark_process_entry(data)) {
        ++wireshark_entries_;
        core::AppInfo a;
        a.name = std::move(p->name);
        a.pid = p->pid;
        wireshark_[p->pid].push_back(WiresharkProcess{apps_->intern(a), p->start_ns});
        return;
      }
    }
    count(CaptureCounter::kSkippedBlocks);
  }

  void on_darwin_process(core::Bytes body) {
    core::ByteReader r(body);
    DarwinProcess p;
    p.pid = r.u32(be_);
    if (!r.ok()) {
      count(CaptureCounter::kSkippedBlocks);
      return;
    }
    if (!room(darwin_.size())) return;
    for_each_option(r, be_, [&](std::uint16_t code, core::Bytes v) {
      if (code == 2) p.name = std::string(as_text(v).substr(0, as_text(v).find('\0')));
    });
    darwin_.push_back(std::move(p));
  }

  // ---- apps -------------------------------------------------------------------------------

  // Per packet: no allocation unless an app is seen for the first time.
  core::AppId app_from_options(core::ByteReader r, core::Timestamp ts) {
    std::int64_t darwin = -1;
    std::int64_t darwin_effective = -1;
    std::int64_t pid = -1;
    std::string_view comment;
    for_each_option(r, be_, [&](std::uint16_t code, core::Bytes v) {
      switch (code) {
        case kOptDarwinProcess:
          if (v.size() == 4) darwin = load32(v.data(), be_);
          break;
        case kOptDarwinEffective:
          if (v.size() == 4) darwin_effective = load32(v.data(), be_);
          break;
        case kOptEpbProcessThread:
          if (v.size() == 8) pid = load32(v.data(), be_);
          break;
        case kOptComment:
          if (comment.empty()) comment = as_text(v);
          break;
        default:
          break;
      }
    });
    if (darwin >= 0) {
      if (const core::AppId a = darwin_app(darwin, darwin_effective); a != core::kNoApp) return a;
    }
    if (pid >= 0) return wireshark_app(static_cast<std::uint32_t>(pid), ts);
    if (!comment.empty()) return comment_app(comment);
    return core::kNoApp;
  }

  core::AppId darwin_app(std::int64_t index, std::int64_t effective) {
    if (index >= static_cast<std::int64_t>(darwin_.size())) return core::kNoApp;
    if (effective >= static_cast<std::int64_t>(darwin_.size())) effective = -1;
    const std::uint64_t key =
        static_cast<std::uint64_t>(index) << 32 | static_cast<std::uint32_t>(effective);
    if (auto it = darwin_apps_.find(key); it != darwin_apps_.end()) return it->second;
    const DarwinProcess& p = darwin_[static_cast<std::size_t>(index)];
    core::AppInfo a;
    a.name = p.name;
    a.pid = p.pid;
    if (effective >= 0 && effective != index) {
      const DarwinProcess& e = darwin_[static_cast<std::size_t>(effective)];
      if (e.pid != p.pid || e.name != p.name) {
        a.effective_name = e.name;
        a.effective_pid = e.pid;
      }
    }
    const core::AppId id = apps_->intern(a);
    darwin_apps_.emplace(key, id);
    return id;
  }

  core::AppId wireshark_app(std::uint32_t pid, core::Timestamp ts) {
    const auto it = wireshark_.find(pid);
    if (it == wireshark_.end()) {
      core::AppInfo a;
      a.pid = pid;
      return apps_->intern(a);
    }
    // Process ids are reused: prefer the latest block that started by the packet's time, then
    // the latest without a start time, then the earliest start (cf. Wireshark's pid-reuse test).
    const WiresharkProcess* started = nullptr;
    const WiresharkProcess* undated = nullptr;
    const WiresharkProcess* earliest = nullptr;
    for (const WiresharkProcess& p : it->second) {
      if (!p.start_ns) {
        undated = &p;
      } else if (*p.start_ns <= ts.ns) {
        if (started == nullptr || *p.start_ns >= *started->start_ns) started = &p;
      } else if (earliest == nullptr || *p.start_ns < *earliest->start_ns) {
        earliest = &p;
      }
    }
    if (started != nullptr) return started->app;
    if (undated != nullptr) return undated->app;
    return earliest != nullptr ? earliest->app : core::kNoApp;
  }

  core::AppId comment_app(std::string_view comment) {
    if (comment.size() > 2 && comment[0] == 'u' && comment[1] == '-') {
      const auto uid = parse_pcapdroid_comment(comment);
      if (!uid) return core::kNoApp;
      if (auto it = uid_apps_.find(*uid); it != uid_apps_.end()) return it->second;
      core::AppInfo a;
      a.uid = *uid;
      const core::AppId id = apps_->intern(a);
      uid_apps_.emplace(*uid, id);
      return id;
    }
    if (comment.substr(0, 5) == "PID: ") {
      const absl::string_view key(comment.data(), comment.size());
      if (auto it = comment_apps_.find(key); it != comment_apps_.end()) return it->second;
      const auto info = parse_pymobiledevice_comment(comment);
      const core::AppId id = info ? apps_->intern(*info) : core::kNoApp;
      // Bounded: a file of unique comments must not grow this without end.
      if (comment_apps_.size() < 65536) comment_apps_.emplace(std::string(comment), id);
      return id;
    }
    return core::kNoApp;
  }

  std::unique_ptr<In> in_;
  bool be_ = false;
  bool pending_be_ = false;
  bool done_ = false;
  core::Timestamp last_ts_;
  std::vector<Interface> interfaces_;
  // Key logs are a few kilobytes per connection; this is far beyond any real capture's.
  static constexpr std::size_t kMaxSecretBytes = 64 << 20;
  std::size_t secret_bytes_ = 0;
  std::size_t wireshark_entries_ = 0;  // in this section
  std::vector<DarwinProcess> darwin_;
  absl::flat_hash_map<std::uint64_t, core::AppId> darwin_apps_;
  absl::flat_hash_map<std::uint32_t, std::vector<WiresharkProcess>> wireshark_;
  absl::flat_hash_map<std::int64_t, core::AppId> uid_apps_;
  absl::flat_hash_map<std::string, core::AppId> comment_apps_;
};

}  // namespace

template <class In>
std::unique_ptr<PacketSource> make_pcapng_reader(std::unique_ptr<In> in, ReaderContext ctx) {
  return std::make_unique<PcapngReader<In>>(std::move(in), std::move(ctx));
}

template std::unique_ptr<PacketSource> make_pcapng_reader(std::unique_ptr<MappedInput>,
                                                          ReaderContext);
template std::unique_ptr<PacketSource> make_pcapng_reader(std::unique_ptr<GzipInput>,
                                                          ReaderContext);

}  // namespace tattle::capture
