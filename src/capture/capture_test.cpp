#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "capture/app_metadata.hpp"
#include "capture/merge.hpp"
#include "capture/packet_source.hpp"
#include "capture/reader_base.hpp"

namespace tattle::capture {
namespace {

using Vec = std::vector<std::uint8_t>;

// ---- byte builders -----------------------------------------------------------------------

struct Out {
  bool be = false;
  Vec b;
  Out& u8(std::uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Out& u16(std::uint16_t v) {
    if (be) return u8(v >> 8).u8(v & 0xff);
    return u8(v & 0xff).u8(v >> 8);
  }
  Out& u32(std::uint32_t v) {
    if (be) return u16(v >> 16).u16(v & 0xffff);
    return u16(v & 0xffff).u16(v >> 16);
  }
  Out& u64(std::uint64_t v) {
    if (be) return u32(v >> 32).u32(v & 0xffffffff);
    return u32(v & 0xffffffff).u32(v >> 32);
  }
  Out& bytes(const Vec& v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  Out& text(std::string_view s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Out& pad() {
    while (b.size() % 4 != 0) b.push_back(0);
    return *this;
  }
};

Vec payload(std::size_t n, std::uint8_t seed) {
  Vec v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i);
  return v;
}

Vec text_bytes(std::string_view s) { return Vec(s.begin(), s.end()); }

// PCAPdroid's UID map custom block body: uid 10123 is "com.example.app" ("Example").
Vec pcapdroid_uid_map(bool be) {
  Out cb{be};
  cb.u32(kPenPcapdroid).u16(1).u8(1).u8(0).u32(10123).u8(15).u8(7).text("com.example.app").text("Example");
  return cb.b;
}

// pcap ---------------------------------------------------------------------------------------

Vec pcap_header(bool be, bool ns, std::uint32_t snaplen, std::uint32_t link) {
  Out o{be};
  o.u32(ns ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(link);
  return o.b;
}

Vec pcap_record(bool be, std::uint32_t sec, std::uint32_t frac, const Vec& data,
                std::uint32_t wirelen = 0) {
  Out o{be};
  o.u32(sec).u32(frac).u32(static_cast<std::uint32_t>(data.size()));
  o.u32(wirelen != 0 ? wirelen : static_cast<std::uint32_t>(data.size())).bytes(data);
  return o.b;
}

// pcapng -------------------------------------------------------------------------------------

struct Opt {
  std::uint16_t code;
  Vec value;
};

Vec options(bool be, const std::vector<Opt>& opts) {
  Out o{be};
  if (opts.empty()) return o.b;
  for (const Opt& x : opts)
    o.u16(x.code).u16(static_cast<std::uint16_t>(x.value.size())).bytes(x.value).pad();
  o.u16(0).u16(0);
  return o.b;
}

Vec block(bool be, std::uint32_t type, Vec body) {
  while (body.size() % 4 != 0) body.push_back(0);
  Out o{be};
  const auto len = static_cast<std::uint32_t>(body.size() + 12);
  o.u32(type).u32(len).bytes(body).u32(len);
  return o.b;
}

Vec shb(bool be) {
  Out o{be};
  o.u32(0x1A2B3C4D).u16(1).u16(0).u64(~std::uint64_t{0});
  return block(be, 0x0A0D0D0A, o.b);
}

Vec idb(bool be, std::uint16_t link, std::uint32_t snaplen, const std::vector<Opt>& opts = {}) {
  Out o{be};
  o.u16(link).u16(0).u32(snaplen).bytes(options(be, opts));
  return block(be, 1, o.b);
}

Vec epb(bool be, std::uint32_t iface, std::uint64_t ts, const Vec& data,
        const std::vector<Opt>& opts = {}, std::uint32_t wirelen = 0) {
  Out o{be};
  o.u32(iface).u32(ts >> 32).u32(ts & 0xffffffff).u32(static_cast<std::uint32_t>(data.size()));
  o.u32(wirelen != 0 ? wirelen : static_cast<std::uint32_t>(data.size())).bytes(data).pad();
  o.bytes(options(be, opts));
  return block(be, 6, o.b);
}

Vec u32_value(bool be, std::uint32_t v) {
  Out o{be};
  o.u32(v);
  return o.b;
}

Vec cat(std::initializer_list<Vec> parts) {
  Vec out;
  for (const Vec& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Vec gzip(const Vec& in, int level = 6) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Vec out(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// ---- reading helpers ---------------------------------------------------------------------

struct Read {
  std::vector<Frame> frames;
  std::vector<Vec> data;  // copies, since gzip'd frames do not outlive next()
  std::unique_ptr<PacketSource> src;
};

struct Fixture {
  core::Diagnostics diag;
  core::AppRegistry apps;
  std::uint32_t input = diag.add_input("test");

  Read read(const Vec& bytes, Limits limits = {}) {
    Read r;
    auto s = PacketSource::open_buffer("test", bytes, input, diag, apps, limits);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return r;
    r.src = std::move(*s);
    Frame f;
    while (r.src->next(f)) {
      r.frames.push_back(f);
      r.data.emplace_back(f.data.begin(), f.data.end());
    }
    return r;
  }
  [[nodiscard]] const std::vector<core::Warning>& warnings() const {
    return diag.inputs()[input].kept;
  }
  [[nodiscard]] std::string all_warnings() const {
    std::string s;
    for (const auto& w : warnings()) s += std::to_string(w.offset) + ": " + w.message + "\n";
    return s;
  }
};

std::uint64_t counter(const PacketSource& s, CaptureCounter c) { return s.info().counters[c]; }

// ---- pcap --------------------------------------------------------------------------------

TEST(Pcap, ReadsAllFourMagics) {
  for (const bool be : {false, true}) {
    for (const bool ns : {false, true}) {
      SCOPED_TRACE(testing::Message() << "be=" << be << " ns=" << ns);
      Fixture fx;
      // Link type with the FCS-length bits set: LINKTYPE_ETHERNET with a 4-byte FCS.
      const Vec file =
          cat({pcap_header(be, ns, 65535, 0x24000001u), pcap_record(be, 1000, 5, payload(60, 1)),
               pcap_record(be, 1001, 7, payload(70, 2), 1500)});
      Read r = fx.read(file);
      ASSERT_EQ(r.frames.size(), 2u) << fx.all_warnings();
      const std::int64_t unit = ns ? 1 : 1000;
      EXPECT_EQ(r.frames[0].ts.ns, 1000 * core::kNsPerSecond + 5 * unit);
      EXPECT_EQ(r.frames[1].ts.ns, 1001 * core::kNsPerSecond + 7 * unit);
      EXPECT_EQ(r.frames[0].link_type, 1u);
      EXPECT_EQ(r.data[0], payload(60, 1));
      EXPECT_EQ(r.data[1], payload(70, 2));
      EXPECT_EQ(r.frames[1].wire_len, 1500u);
      EXPECT_EQ(r.frames[0].offset, 24u);
      EXPECT_EQ(r.frames[1].offset, 24u + 16 + 60);
      const InputInfo& info = r.src->info();
      EXPECT_EQ(info.format, ns ? "pcap-ns" : "pcap");
      EXPECT_FALSE(info.gzip);
      EXPECT_EQ(info.link_types, std::vector<std::uint32_t>{1});
      EXPECT_EQ(info.packets, 2u);
      EXPECT_EQ(info.bytes, 130u);
      EXPECT_EQ(info.first, r.frames[0].ts);
      EXPECT_EQ(info.last, r.frames[1].ts);
      EXPECT_EQ(counter(*r.src, CaptureCounter::kTruncatedRecords), 1u);
      EXPECT_TRUE(r.src->stable());
      EXPECT_TRUE(fx.warnings().empty()) << fx.all_warnings();
    }
  }
}

TEST(Pcap, HugeCaplenIsReportedAndReadingResynchronises) {
  Fixture fx;
  const Vec good1 = pcap_record(false, 5000, 1, payload(40, 1));
  Out bad;
  bad.u32(5000).u32(2).u32(0x7fffff00).u32(60);
  const Vec junk = payload(13, 0xA0);
  const Vec good2 = pcap_record(false, 5001, 3, payload(50, 2));
  const Vec good3 = pcap_record(false, 5002, 4, payload(44, 3));
  const Vec file = cat({pcap_header(false, false, 65535, 1), good1, bad.b, junk, good2, good3});
  Read r = fx.read(file);
  ASSERT_EQ(r.frames.size(), 3u) << fx.all_warnings();
  EXPECT_EQ(r.data[1], payload(50, 2));
  EXPECT_EQ(r.data[2], payload(44, 3));
  ASSERT_EQ(fx.warnings().size(), 1u);
  EXPECT_EQ(fx.warnings()[0].offset, 24u + good1.size());
  EXPECT_EQ(counter(*r.src, CaptureCounter::kBadRecords), 1u);
  EXPECT_EQ(counter(*r.src, CaptureCounter::kSkippedBytes), bad.b.size() + junk.size());
}

TEST(Pcap, TruncatedFinalRecordWarnsAndStops) {
  Fixture fx;
  const Vec good = pcap_record(false, 7, 0, payload(40, 1));
  Vec last = pcap_record(false, 8, 0, payload(100, 2));
  last.resize(16 + 30);
  Read r = fx.read(cat({pcap_header(false, false, 65535, 1), good, last}));
  ASSERT_EQ(r.frames.size(), 1u);
  ASSERT_EQ(fx.warnings().size(), 1u) << fx.all_warnings();
  EXPECT_EQ(fx.warnings()[0].offset, 24u + good.size());
  EXPECT_NE(fx.warnings()[0].message.find("truncated final record"), std::string::npos);
}

TEST(Pcap, SnaplenBoundsTheRecordSize) {
  Fixture fx;
  // snaplen 100: a 200-byte record is within the slack, a 100 000-byte one is damage.
  Read r =
      fx.read(cat({pcap_header(false, false, 100, 1), pcap_record(false, 1, 0, payload(200, 1)),
                   pcap_record(false, 1, 0, payload(100000, 1))}));
  EXPECT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(counter(*r.src, CaptureCounter::kBadRecords), 1u);
  ASSERT_EQ(fx.warnings().size(), 1u);
  EXPECT_EQ(fx.warnings()[0].offset, 24u + 16 + 200);
}

// ---- pcapng ------------------------------------------------------------------------------

TEST(Pcapng, TwoSectionsBothByteOrdersAndTimestampResolutions) {
  Fixture fx;
  // Section 1, little-endian, nanoseconds.
  const Vec s1 = cat({shb(false), idb(false, 1, 65535, {{9, {9}}}),
                      epb(false, 0, 1'700'000'000'123'456'789ull, payload(60, 1))});
  // Section 2, big-endian, 2^-20 s units, 100 s offset; interface numbering starts over.
  const std::uint64_t units = (std::uint64_t{1'600'000'000} << 20) | (1u << 19);  // +0.5 s
  Out off{true};
  off.u64(100);
  const Vec s2 = cat({shb(true), idb(true, 101, 0, {{9, {0x94}}, {14, off.b}}),
                      epb(true, 0, units, payload(20, 2))});
  Read r = fx.read(cat({s1, s2}));
  ASSERT_EQ(r.frames.size(), 2u) << fx.all_warnings();
  EXPECT_EQ(r.frames[0].ts.ns, 1'700'000'000'123'456'789ll);
  EXPECT_EQ(r.frames[0].link_type, 1u);
  EXPECT_EQ(r.frames[1].ts.ns, 1'600'000'100'500'000'000ll);
  EXPECT_EQ(r.frames[1].link_type, 101u);
  EXPECT_EQ(r.data[1], payload(20, 2));
  EXPECT_EQ(r.src->info().format, "pcapng");
  EXPECT_EQ(r.src->info().link_types, (std::vector<std::uint32_t>{1, 101}));
  EXPECT_EQ(counter(*r.src, CaptureCounter::kSections), 2u);
  EXPECT_EQ(counter(*r.src, CaptureCounter::kInterfaces), 2u);
  EXPECT_EQ(r.src->info().first.ns, 1'600'000'100'500'000'000ll);
  EXPECT_EQ(r.src->info().last.ns, 1'700'000'000'123'456'789ll);
  EXPECT_TRUE(fx.warnings().empty()) << fx.all_warnings();
}

TEST(Pcapng, PacketOnInterfaceOfPreviousSectionIsBad) {
  Fixture fx;
  Read r = fx.read(cat({shb(false), idb(false, 1, 0), idb(false, 1, 0),
                        epb(false, 1, 1, payload(10, 1)), shb(false), idb(false, 1, 0),
                        epb(false, 1, 2, payload(10, 2)), epb(false, 0, 3, payload(10, 3))}));
  EXPECT_EQ(r.frames.size(), 2u);
  EXPECT_EQ(counter(*r.src, CaptureCounter::kBadRecords), 1u);
  EXPECT_EQ(fx.warnings().size(), 1u);
}

TEST(Pcapng, SimplePacketBlockTakesSnaplenOfInterfaceZero) {
  Fixture fx;
  Out spb;
  spb.u32(100).bytes(payload(100, 7));
  Read r = fx.read(cat({shb(false), idb(false, 1, 64), epb(false, 0, 5'000'000, payload(10, 1)),
                        block(false, 3, spb.b)}));
  ASSERT_EQ(r.frames.size(), 2u) << fx.all_warnings();
  EXPECT_EQ(r.frames[1].data.size(), 64u);
  EXPECT_EQ(r.frames[1].wire_len, 100u);
  const Vec full = payload(100, 7);
  EXPECT_EQ(r.data[1], Vec(full.begin(), full.begin() + 64));
  EXPECT_EQ(r.frames[1].ts, r.frames[0].ts);  // no time of its own
  EXPECT_EQ(counter(*r.src, CaptureCounter::kTruncatedRecords), 1u);
}

TEST(Pcapng, ObsoletePacketBlock) {
  Fixture fx;
  Out pb;
  pb.u16(0).u16(0).u32(0).u32(3'000'000).u32(8).u32(8).bytes(payload(8, 3));
  Read r = fx.read(cat({shb(false), idb(false, 1, 0), block(false, 2, pb.b)}));
  ASSERT_EQ(r.frames.size(), 1u) << fx.all_warnings();
  EXPECT_EQ(r.frames[0].ts.ns, 3'000'000'000ll);
  EXPECT_EQ(r.data[0], payload(8, 3));
}

TEST(Pcapng, NamesSecretsStatisticsAndSkippedBlocks) {
  for (const bool be : {false, true}) {
    Fixture fx;
    Out nrb{be};
    nrb.u16(1).u16(4 + 12).bytes({192, 0, 2, 1}).text("a.example").u8(0).text("b").u8(0).pad();
    Vec v6(16, 0);
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[15] = 1;
    nrb.u16(2).u16(16 + 10).bytes(v6).text("v6.example").pad();
    nrb.u16(0).u16(0);
    Out dsb{be};
    const std::string keylog = "CLIENT_RANDOM 00 11\n";
    dsb.u32(0x544c534b).u32(static_cast<std::uint32_t>(keylog.size())).text(keylog).pad();
    Out isb{be};
    isb.u32(0).u32(0).u32(0);
    Out custom{be};
    custom.u32(99999).text("opaque");
    const Vec file = cat({shb(be), idb(be, 1, 0), epb(be, 0, 1, payload(10, 1)),
                          block(be, 4, nrb.b), block(be, 0x0A, dsb.b), block(be, 5, isb.b),
                          block(be, 0xBAD, custom.b), block(be, 0x40000BAD, custom.b),
                          block(be, 0x12345, payload(8, 0)), epb(be, 0, 2, payload(10, 2))});
    Read r = fx.read(file);
    ASSERT_EQ(r.frames.size(), 2u) << fx.all_warnings();
    const auto& names = r.src->names();
    ASSERT_EQ(names.size(), 3u);
    EXPECT_EQ(core::to_string(names[0].addr), "192.0.2.1");
    EXPECT_EQ(names[0].name, "a.example");
    EXPECT_EQ(names[1].name, "b");
    EXPECT_EQ(core::to_string(names[2].addr), "2001::1");
    EXPECT_EQ(names[2].name, "v6.example");
    ASSERT_EQ(r.src->secrets().size(), 1u);
    EXPECT_EQ(r.src->secrets()[0].type, 0x544c534bu);
    EXPECT_EQ(r.src->secrets()[0].data, keylog);
    // The text lies in the file where the reader says it does.
    const std::uint64_t at = r.src->secrets()[0].offset;
    ASSERT_LE(at + keylog.size(), file.size());
    EXPECT_EQ(std::string(file.begin() + static_cast<std::ptrdiff_t>(at),
                          file.begin() + static_cast<std::ptrdiff_t>(at + keylog.size())), keylog);
    EXPECT_EQ(counter(*r.src, CaptureCounter::kNameRecords), 3u);
    EXPECT_EQ(counter(*r.src, CaptureCounter::kSecrets), 1u);
    EXPECT_EQ(counter(*r.src, CaptureCounter::kStatistics), 1u);
    EXPECT_EQ(counter(*r.src, CaptureCounter::kSkippedBlocks), 3u);
    EXPECT_TRUE(fx.warnings().empty()) << fx.all_warnings();
  }
}

Vec darwin_block(bool be, std::uint32_t pid, std::string_view name) {
  Out o{be};
  o.u32(pid).bytes(options(be, {{2, text_bytes(name)}}));
  return block(be, 0x80000001, o.b);
}

TEST(Pcapng, AppleProcessInformationBlocks) {
  for (const bool be : {false, true}) {
    Fixture fx;
    const Vec file = cat(
        {shb(be), idb(be, 1, 0), darwin_block(be, 501, "mDNSResponder"),
         darwin_block(be, 77, "Safari"),
         epb(be, 0, 1, payload(10, 1), {{0x8001, u32_value(be, 0)}}),
         epb(be, 0, 2, payload(10, 2), {{0x8001, u32_value(be, 0)}, {0x8003, u32_value(be, 1)}}),
         epb(be, 0, 3, payload(10, 3), {{0x8001, u32_value(be, 1)}}),
         epb(be, 0, 4, payload(10, 4), {{0x8001, u32_value(be, 9)}}),
         // A new section forgets the old table.
         shb(be), idb(be, 1, 0), epb(be, 0, 5, payload(10, 5), {{0x8001, u32_value(be, 0)}})});
    Read r = fx.read(file);
    ASSERT_EQ(r.frames.size(), 5u) << fx.all_warnings();
    const core::AppInfo& a0 = fx.apps.get(r.frames[0].app);
    EXPECT_EQ(a0.name, "mDNSResponder");
    EXPECT_EQ(a0.pid, 501);
    EXPECT_TRUE(a0.effective_name.empty());
    const core::AppInfo& a1 = fx.apps.get(r.frames[1].app);
    EXPECT_EQ(a1.name, "mDNSResponder");
    EXPECT_EQ(a1.effective_name, "Safari");
    EXPECT_EQ(a1.effective_pid, 77);
    EXPECT_EQ(fx.apps.get(r.frames[2].app).name, "Safari");
    EXPECT_EQ(r.frames[3].app, core::kNoApp);
    EXPECT_EQ(r.frames[4].app, core::kNoApp);
    EXPECT_EQ(fx.apps.size(), 3u);
  }
}

Vec wireshark_pib(bool be, std::uint32_t pid, std::string_view name,
                  std::optional<std::uint64_t> start_ns = std::nullopt) {
  std::vector<Opt> opts = {{2, text_bytes(name)}};
  if (start_ns) {
    Out t;  // little-endian, whatever the section
    t.u64(*start_ns);
    opts.push_back({9, t.b});
  }
  Out entry;  // little-endian
  entry.u32(pid).bytes(options(false, opts));
  Out data;
  data.u32(3).u32(static_cast<std::uint32_t>(entry.b.size())).bytes(entry.b).pad();
  Out o{be};
  o.u32(kPenWireshark).bytes(data.b);
  return block(be, 0xBAD, o.b);
}

Vec pid_tid(bool be, std::uint32_t pid) {
  Out o{be};
  o.u32(pid).u32(0);
  return o.b;
}

TEST(Pcapng, WiresharkProcessInformationAndPidReuse) {
  for (const bool be : {false, true}) {
    Fixture fx;
    const std::uint64_t base_us = 1'757'500'000'000'000ull;
    const Vec file =
        cat({shb(be), idb(be, 1, 0), wireshark_pib(be, 500, "first", (base_us - 10) * 1000),
             wireshark_pib(be, 500, "second", (base_us + 20) * 1000), wireshark_pib(be, 600, "old"),
             wireshark_pib(be, 600, "new"),
             epb(be, 0, base_us + 5, payload(4, 1), {{8, pid_tid(be, 500)}}),
             epb(be, 0, base_us + 25, payload(4, 2), {{8, pid_tid(be, 500)}}),
             epb(be, 0, base_us - 100, payload(4, 3), {{8, pid_tid(be, 500)}}),
             epb(be, 0, base_us + 1, payload(4, 4), {{8, pid_tid(be, 600)}}),
             epb(be, 0, base_us + 2, payload(4, 5), {{8, pid_tid(be, 700)}})});
    Read r = fx.read(file);
    ASSERT_EQ(r.frames.size(), 5u) << fx.all_warnings();
    EXPECT_EQ(fx.apps.get(r.frames[0].app).name, "first");
    EXPECT_EQ(fx.apps.get(r.frames[0].app).pid, 500);
    EXPECT_EQ(fx.apps.get(r.frames[1].app).name, "second");
    EXPECT_EQ(fx.apps.get(r.frames[2].app).name, "first");
    EXPECT_EQ(fx.apps.get(r.frames[3].app).name, "new");
    EXPECT_EQ(fx.apps.get(r.frames[4].app).pid, 700);
    EXPECT_EQ(fx.apps.display_name(r.frames[4].app), "pid:700");
    EXPECT_EQ(counter(*r.src, CaptureCounter::kSkippedBlocks), 0u);
  }
}

TEST(Pcapng, PcapdroidUidMapAndComments) {
  for (const bool be : {false, true}) {
    Fixture fx;
    const Vec file = cat({shb(be), idb(be, 101, 0), block(be, 0xBAD, pcapdroid_uid_map(be)),
                          epb(be, 0, 1, payload(20, 1), {{1, text_bytes("u-10123")}}),
                          epb(be, 0, 2, payload(20, 2), {{1, text_bytes("u-1000")}}),
                          epb(be, 0, 3, payload(20, 3), {{1, text_bytes("hello")}})});
    Read r = fx.read(file);
    ASSERT_EQ(r.frames.size(), 3u) << fx.all_warnings();
    EXPECT_EQ(fx.apps.get(r.frames[0].app).uid, 10123);
    EXPECT_EQ(fx.apps.display_name(r.frames[0].app), "com.example.app");
    EXPECT_EQ(fx.apps.display_name(r.frames[1].app), "uid:1000");
    EXPECT_EQ(r.frames[2].app, core::kNoApp);
    EXPECT_EQ(counter(*r.src, CaptureCounter::kSkippedBlocks), 0u);
  }
}

TEST(Pcapng, PymobiledeviceComment) {
  Fixture fx;
  const Vec file =
      cat({shb(false), idb(false, 1, 0),
           epb(false, 0, 1, payload(20, 1),
               {{1, text_bytes("PID: 321, ProcName: nsurlsessiond, EPID: 88, EProcName: Maps")}}),
           epb(false, 0, 2, payload(20, 2),
               {{1, text_bytes("PID: 5, ProcName: apsd, EPID: 5, EProcName: apsd")}}),
           epb(false, 0, 3, payload(20, 3),
               {{1, text_bytes("PID: 321, ProcName: nsurlsessiond, EPID: 88, EProcName: Maps")}})});
  Read r = fx.read(file);
  ASSERT_EQ(r.frames.size(), 3u);
  const core::AppInfo& a = fx.apps.get(r.frames[0].app);
  EXPECT_EQ(a.name, "nsurlsessiond");
  EXPECT_EQ(a.pid, 321);
  EXPECT_EQ(a.effective_name, "Maps");
  EXPECT_EQ(a.effective_pid, 88);
  const core::AppInfo& b = fx.apps.get(r.frames[1].app);
  EXPECT_EQ(b.name, "apsd");
  EXPECT_EQ(b.effective_pid, -1);
  EXPECT_EQ(r.frames[2].app, r.frames[0].app);
}

TEST(AppMetadata, CommentParsers) {
  EXPECT_EQ(parse_pcapdroid_comment("u-42"), 42);
  EXPECT_FALSE(parse_pcapdroid_comment("u-"));
  EXPECT_FALSE(parse_pcapdroid_comment("u-4x"));
  EXPECT_FALSE(parse_pcapdroid_comment("u--1"));
  EXPECT_FALSE(parse_pymobiledevice_comment("PID: x, ProcName: a, EPID: 1, EProcName: b"));
  EXPECT_FALSE(parse_pymobiledevice_comment("PID: 1, ProcName: a"));
  auto a = parse_pymobiledevice_comment("PID: 1, ProcName: a, b, EPID: 2, EProcName: c");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "a, b");
}

TEST(Pcapng, LyingBlockLengthsAreReportedAndSkipped) {
  struct Case {
    const char* what;
    std::uint32_t len;  // the lie
    bool fix_trailer;   // write the lie at the end too
  };
  for (const Case c : {Case{"not a multiple of 4", 0x1001, false}, Case{"below 12", 8, false},
                       Case{"trailer mismatch", 0, false}, Case{"beyond EOF", 0x00100000, true}}) {
    SCOPED_TRACE(c.what);
    Fixture fx;
    const Vec head = cat({shb(false), idb(false, 1, 0), epb(false, 0, 1, payload(30, 1))});
    Vec liar = epb(false, 0, 2, payload(30, 2));
    if (c.len != 0) {
      Out l;
      l.u32(c.len);
      std::copy(l.b.begin(), l.b.end(), liar.begin() + 4);
    } else {
      liar[liar.size() - 4] ^= 0x40;  // trailing length no longer matches
    }
    const Vec junk = payload(12, 0xEE);
    const Vec tail = cat({epb(false, 0, 3, payload(30, 3)), epb(false, 0, 4, payload(30, 4))});
    Vec file = cat({head, liar, junk, tail});
    Read r = fx.read(file);
    ASSERT_EQ(r.frames.size(), 3u) << fx.all_warnings();
    EXPECT_EQ(r.data[1], payload(30, 3));
    EXPECT_EQ(r.data[2], payload(30, 4));
    ASSERT_EQ(fx.warnings().size(), 1u) << fx.all_warnings();
    EXPECT_EQ(fx.warnings()[0].offset, head.size());
    EXPECT_EQ(counter(*r.src, CaptureCounter::kBadBlocks), 1u);
    EXPECT_EQ(counter(*r.src, CaptureCounter::kSkippedBytes), liar.size() + junk.size());
  }
}

TEST(Pcapng, TruncatedFileWarnsAndStops) {
  Fixture fx;
  const Vec head = cat({shb(false), idb(false, 1, 0), epb(false, 0, 1, payload(30, 1))});
  Vec last = epb(false, 0, 2, payload(300, 2));
  last.resize(100);
  Read r = fx.read(cat({head, last}));
  EXPECT_EQ(r.frames.size(), 1u);
  ASSERT_EQ(fx.warnings().size(), 1u) << fx.all_warnings();
  EXPECT_EQ(fx.warnings()[0].offset, head.size());
  EXPECT_NE(fx.warnings()[0].message.find("runs past the end"), std::string::npos);
}

TEST(Pcapng, TimestampsDoNotOverflow) {
  const TsScale us = TsScale::from_tsresol(6);
  EXPECT_EQ(us.to_ns(~std::uint64_t{0}, 0), INT64_MAX);
  EXPECT_EQ(us.to_ns(1, -5), -5 * core::kNsPerSecond + 1000);
  // tcpdump's time_2106_overflow.pcapng: 2^32 s in microseconds.
  EXPECT_EQ(us.to_ns(std::uint64_t{1'000'000} << 32, 0),
            (std::int64_t{1} << 32) * core::kNsPerSecond);
  EXPECT_EQ(TsScale::from_tsresol(12).to_ns(5'000'000'000'000, 0), 5'000'000'000);
  EXPECT_EQ(TsScale::from_tsresol(100).to_ns(~std::uint64_t{0}, 0), 0);
  EXPECT_EQ(TsScale::from_tsresol(0x80 | 127).to_ns(~std::uint64_t{0}, 0), 0);
  EXPECT_EQ(TsScale::from_tsresol(0x80).to_ns(3, INT64_MAX), INT64_MAX);
}

// ---- gzip --------------------------------------------------------------------------------

Vec sample_pcapng() {
  return cat({shb(false), idb(false, 1, 0), epb(false, 0, 1'000'000, payload(100, 1)),
              epb(false, 0, 2'000'000, payload(200, 2), {{1, text_bytes("u-7")}}),
              epb(false, 0, 3'000'000, payload(300, 3))});
}

TEST(Gzip, ReadsTheSameFramesAsPlain) {
  Fixture plain_fx;
  Fixture gz_fx;
  const Vec file = sample_pcapng();
  Read plain = plain_fx.read(file);
  Read gz = gz_fx.read(gzip(file));
  ASSERT_EQ(gz.frames.size(), 3u) << gz_fx.all_warnings();
  EXPECT_EQ(gz.data, plain.data);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(gz.frames[i].ts, plain.frames[i].ts);
    EXPECT_EQ(gz.frames[i].offset, plain.frames[i].offset);
  }
  EXPECT_TRUE(gz.src->info().gzip);
  EXPECT_FALSE(gz.src->stable());
  EXPECT_EQ(gz.src->position(), gz.src->size());
  EXPECT_TRUE(gz_fx.warnings().empty()) << gz_fx.all_warnings();
}

TEST(Gzip, MultipleMembersAndPcap) {
  Fixture fx;
  const Vec a =
      cat({pcap_header(false, false, 65535, 1), pcap_record(false, 1, 0, payload(10, 1))});
  const Vec b = pcap_record(false, 2, 0, payload(20, 2));
  Read r = fx.read(cat({gzip(a), gzip(b)}));
  ASSERT_EQ(r.frames.size(), 2u) << fx.all_warnings();
  EXPECT_EQ(r.data[1], payload(20, 2));
}

TEST(Gzip, TruncatedStreamWarns) {
  Fixture fx;
  Vec file;
  for (int i = 0; i < 200; ++i) {
    const Vec rec = pcap_record(false, 1, i, payload(500, static_cast<std::uint8_t>(i * 7)));
    file.insert(file.end(), rec.begin(), rec.end());
  }
  file = cat({pcap_header(false, false, 65535, 1), file});
  Vec gz = gzip(file);
  gz.resize(gz.size() / 2);
  Read r = fx.read(gz);
  EXPECT_GT(r.frames.size(), 0u);
  EXPECT_LT(r.frames.size(), 200u);
  EXPECT_GE(fx.warnings().size(), 1u);
}

TEST(Gzip, MemoryDoesNotGrowWithFileSize) {
  // ~200 MB of records inflate through the window without being held at once.
  Vec file = pcap_header(false, false, 65535, 1);
  Vec chunk;
  for (int i = 0; i < 1000; ++i) {
    const Vec rec = pcap_record(false, 1, 0, Vec(1000, 0));
    chunk.insert(chunk.end(), rec.begin(), rec.end());
  }
  const Vec gz_chunk_src = chunk;
  // Deflate one 1 MB chunk 200 times as separate members: cheap to build, 200 MB to inflate.
  const Vec member = gzip(gz_chunk_src, 9);
  Vec gz = gzip(file, 9);
  for (int i = 0; i < 200; ++i) gz.insert(gz.end(), member.begin(), member.end());
  struct rusage before {};
  getrusage(RUSAGE_SELF, &before);
  Fixture fx;
  auto s = PacketSource::open_buffer("big", gz, fx.input, fx.diag, fx.apps);
  ASSERT_TRUE(s.ok());
  Frame f;
  std::uint64_t n = 0;
  while ((*s)->next(f)) ++n;
  EXPECT_EQ(n, 200'000u);
  struct rusage after {};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "kB of peak RSS growth";
}

// ---- opening -----------------------------------------------------------------------------

std::filesystem::path temp_file(const std::string& name, const Vec& bytes) {
  const auto p = std::filesystem::temp_directory_path() / ("tattle_capture_test_" + name);
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return p;
}

TEST(Open, RejectsWhatCannotBeRead) {
  core::Diagnostics diag;
  core::AppRegistry apps;
  const auto empty = temp_file("empty", {});
  auto s = PacketSource::open(empty.string(), 0, diag, apps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(empty.string()), std::string::npos);
  EXPECT_NE(s.status().message().find("empty"), std::string::npos);

  const auto garbage = temp_file("garbage", text_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  s = PacketSource::open(garbage.string(), 0, diag, apps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not a capture file"), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find(garbage.string()), std::string::npos);

  s = PacketSource::open("/nonexistent/tattle.pcap", 0, diag, apps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent/tattle.pcap"), std::string::npos);

  Vec header = pcap_header(false, false, 0, 1);
  header.resize(10);
  const auto short_pcap = temp_file("short", header);
  s = PacketSource::open(short_pcap.string(), 0, diag, apps);
  EXPECT_FALSE(s.ok());

  const auto gz_garbage = temp_file("garbage.gz", gzip(text_bytes("hello world")));
  s = PacketSource::open(gz_garbage.string(), 0, diag, apps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("after decompression"), std::string::npos);

  EXPECT_FALSE(PacketSource::open_buffer("e", {}, 0, diag, apps).ok());
  for (const auto& p : {empty, garbage, short_pcap, gz_garbage}) std::filesystem::remove(p);
}

TEST(Open, MapsPlainFilesAndStreamsGzipFiles) {
  core::Diagnostics diag;
  core::AppRegistry apps;
  const Vec file = sample_pcapng();
  const auto plain = temp_file("plain.bin", file);  // the name says nothing; the bytes do
  const auto gz = temp_file("gz.pcapng", gzip(file));
  for (const auto& [path, stable] : {std::pair{plain, true}, std::pair{gz, false}}) {
    auto s = PacketSource::open(path.string(), diag.add_input(path.string()), diag, apps);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ((*s)->stable(), stable);
    Frame f;
    std::vector<Frame> frames;
    while ((*s)->next(f)) frames.push_back(f);
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[2].data.size(), 300u);
    EXPECT_EQ((*s)->position(), (*s)->size());
    EXPECT_EQ((*s)->info().path, path.string());
    std::filesystem::remove(path);
  }
}

TEST(Counters, HaveSnakeCaseNames) {
  EXPECT_EQ(counter_name(CaptureCounter::kRecords), "records");
  EXPECT_EQ(counter_name(CaptureCounter::kTruncatedRecords), "truncated_records");
  for (std::size_t i = 0; i < static_cast<std::size_t>(CaptureCounter::kCount); ++i) {
    const std::string_view n = counter_name(static_cast<CaptureCounter>(i));
    EXPECT_NE(n, "unknown");
    for (const char ch : n) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_') << n;
  }
}

// ---- merging -----------------------------------------------------------------------------

TEST(Merge, YieldsFramesInTimeOrderTiesToLowerInput) {
  core::Diagnostics diag;
  core::AppRegistry apps;
  auto make = [&](std::vector<std::uint32_t> secs, bool gz) {
    Vec file = pcap_header(false, false, 65535, 1);
    for (const std::uint32_t s : secs) {
      const Vec rec = pcap_record(false, s, 0, payload(10, static_cast<std::uint8_t>(s)));
      file.insert(file.end(), rec.begin(), rec.end());
    }
    const std::uint32_t in = diag.add_input("m");
    return std::move(*PacketSource::open_buffer("m", gz ? gzip(file) : file, in, diag, apps));
  };
  std::vector<std::unique_ptr<PacketSource>> sources;
  sources.push_back(make({1, 3, 5, 7}, false));
  sources.push_back(make({2, 3, 4, 8}, true));
  sources.push_back(make({6, 2, 9}, false));  // goes backwards
  MergedSource merged(std::move(sources));
  EXPECT_FALSE(merged.stable());
  std::vector<std::pair<std::int64_t, std::uint32_t>> out;
  Frame f;
  while (merged.next(f)) {
    // Bytes must still be valid here, gzip'd source included.
    EXPECT_EQ(f.data[0], static_cast<std::uint8_t>(f.ts.ns / core::kNsPerSecond));
    out.emplace_back(f.ts.ns / core::kNsPerSecond, f.input);
  }
  const std::vector<std::pair<std::int64_t, std::uint32_t>> want = {
      {1, 0}, {2, 1}, {3, 0}, {3, 1}, {4, 1}, {5, 0}, {6, 2}, {2, 2}, {7, 0}, {8, 1}, {9, 2}};
  EXPECT_EQ(out, want);
  EXPECT_EQ(merged.sources().size(), 3u);
  EXPECT_EQ(merged.position(), merged.size());
}

// ---- fuzz seeds --------------------------------------------------------------------------
// The committed seed corpora fuzz/corpus/{pcap_file,pcapng_file,gzip_file}/ are written by this
// test when TATTLE_WRITE_FUZZ_SEEDS names the fuzz/corpus directory; otherwise it only checks
// that every seed still opens.

using Seeds = std::vector<std::pair<std::string, Vec>>;

Seeds pcap_seeds() {
  Seeds s;
  for (const bool be : {false, true}) {
    for (const bool ns : {false, true}) {
      const std::string name = std::string(be ? "be" : "le") + (ns ? "_ns" : "_us") + ".pcap";
      s.emplace_back(
          name, cat({pcap_header(be, ns, 262144, 1), pcap_record(be, 1700000000, 1, payload(60, 1)),
                     pcap_record(be, 1700000001, 2, payload(42, 9), 1514)}));
    }
  }
  Out bad;
  bad.u32(1700000000).u32(2).u32(0x7fffff00).u32(60);
  s.emplace_back("damaged_resync.pcap",
                 cat({pcap_header(false, false, 65535, 0x24000001u),
                      pcap_record(false, 1700000000, 1, payload(20, 1)), bad.b, payload(7, 0xA0),
                      pcap_record(false, 1700000002, 3, payload(30, 2)),
                      pcap_record(false, 1700000003, 4, payload(30, 3))}));
  Vec cut = cat({pcap_header(false, false, 96, 101), pcap_record(false, 5, 6, payload(20, 1)),
                 pcap_record(false, 5, 7, payload(96, 2), 1500)});
  cut.resize(cut.size() - 10);
  s.emplace_back("truncated_snaplen.pcap", cut);
  return s;
}

Seeds pcapng_seeds() {
  Seeds s;
  Out off{true};
  off.u64(100);
  s.emplace_back("two_sections.pcapng",
                 cat({shb(false), idb(false, 1, 65535, {{9, {9}}}),
                      epb(false, 0, 1'700'000'000'000'000'000ull, payload(60, 1)), shb(true),
                      idb(true, 101, 0, {{9, {0x94}}, {14, off.b}}),
                      epb(true, 0, std::uint64_t{1'600'000'000} << 20, payload(20, 2))}));
  for (const bool be : {false, true}) {
    const std::string e = be ? "_be" : "_le";
    Out spb{be};
    spb.u32(100).bytes(payload(100, 7));
    Out pb{be};
    pb.u16(0).u16(0).u32(0).u32(3'000'000).u32(8).u32(8).bytes(payload(8, 3));
    Out nrb{be};
    nrb.u16(1).u16(4 + 10).bytes({192, 0, 2, 1}).text("a.example").u8(0).pad().u16(0).u16(0);
    Out dsb{be};
    dsb.u32(0x544c534b).u32(20).text("CLIENT_RANDOM 00 11\n").pad();
    Out isb{be};
    isb.u32(0).u32(0).u32(0);
    s.emplace_back(
        "blocks" + e + ".pcapng",
        cat({shb(be), idb(be, 1, 64), epb(be, 0, 1'000'000, payload(10, 1)), block(be, 3, spb.b),
             block(be, 2, pb.b), block(be, 4, nrb.b), block(be, 0x0A, dsb.b), block(be, 5, isb.b),
             block(be, 0x12345, payload(8, 0))}));
    s.emplace_back("apple" + e + ".pcapng",
                   cat({shb(be), idb(be, 1, 0), darwin_block(be, 501, "mDNSResponder"),
                        darwin_block(be, 77, "Safari"),
                        epb(be, 0, 2, payload(10, 2),
                            {{0x8001, u32_value(be, 0)}, {0x8003, u32_value(be, 1)}})}));
    s.emplace_back(
        "wireshark_pib" + e + ".pcapng",
        cat({shb(be), idb(be, 1, 0), wireshark_pib(be, 500, "first", 1000),
             wireshark_pib(be, 600, "other"), epb(be, 0, 5, payload(4, 1), {{8, pid_tid(be, 500)}}),
             epb(be, 0, 6, payload(4, 2), {{8, pid_tid(be, 600)}})}));
    s.emplace_back("pcapdroid" + e + ".pcapng",
                   cat({shb(be), idb(be, 101, 0), block(be, 0xBAD, pcapdroid_uid_map(be)),
                        epb(be, 0, 1, payload(20, 1), {{1, text_bytes("u-10123")}})}));
  }
  s.emplace_back(
      "pymobiledevice.pcapng",
      cat({shb(false), idb(false, 1, 0),
           epb(false, 0, 1, payload(20, 1),
               {{1,
                 text_bytes("PID: 321, ProcName: nsurlsessiond, EPID: 88, EProcName: Maps")}})}));
  Vec liar = epb(false, 0, 2, payload(30, 2));
  liar[4] = 0x01;  // length no longer a multiple of 4
  s.emplace_back("lying_length.pcapng",
                 cat({shb(false), idb(false, 1, 0), epb(false, 0, 1, payload(30, 1)), liar,
                      payload(12, 0xEE), epb(false, 0, 3, payload(30, 3))}));
  return s;
}

TEST(FuzzSeeds, OpenAndCanBeWritten) {
  const char* dir = std::getenv("TATTLE_WRITE_FUZZ_SEEDS");
  for (const auto& [target, seeds] :
       {std::pair{"pcap_file", pcap_seeds()}, std::pair{"pcapng_file", pcapng_seeds()}}) {
    for (const auto& [name, bytes] : seeds) {
      Fixture fx;
      Read r = fx.read(bytes);
      EXPECT_GT(r.frames.size(), 0u) << name;
      if (dir == nullptr) continue;
      // gzip_file gzips its input itself, so it starts from the same plain seeds.
      for (const std::string& t : {std::string(target), std::string("gzip_file")}) {
        const auto d = std::filesystem::path(dir) / t;
        std::filesystem::create_directories(d);
        std::ofstream(d / name, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
      }
    }
  }
}

// ---- real captures -------------------------------------------------------------------------

TEST(Corpora, PacketCountsMatchCapinfos) {
  const std::filesystem::path dir = TATTLE_CORPORA_DIR;
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no corpora at " << dir;
  if (std::system("capinfos -v >/dev/null 2>&1") != 0) GTEST_SKIP() << "capinfos not installed";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  // One capinfos run over every file: "name<TAB>count" lines after a header.
  std::string cmd = "capinfos -c -M -T -r";
  for (const auto& f : files) cmd += " '" + f.string() + "'";
  cmd += " 2>/dev/null";
  std::map<std::string, std::uint64_t> expected;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char line[4096];
    while (std::fgets(line, sizeof line, p) != nullptr) {
      std::string s(line);
      const auto tab = s.rfind('\t');
      if (tab == std::string::npos) continue;
      try {
        expected[s.substr(0, tab)] = std::stoull(s.substr(tab + 1));
      } catch (...) {
      }
    }
    pclose(p);
  }
  std::size_t compared = 0;
  for (const auto& path : files) {
    const auto it = expected.find(path.string());
    if (it == expected.end()) continue;
    SCOPED_TRACE(path.string());
    core::Diagnostics diag;
    core::AppRegistry apps;
    auto s = PacketSource::open(path.string(), diag.add_input(path.string()), diag, apps);
    ASSERT_TRUE(s.ok()) << s.status();
    Frame f;
    std::uint64_t n = 0;
    while ((*s)->next(f)) ++n;
    EXPECT_EQ(n, it->second);
    EXPECT_EQ(diag.total(), 0u) << diag.inputs()[0].kept.front().message;
    ++compared;
  }
  std::printf("compared %zu corpus files with capinfos\n", compared);
  EXPECT_GT(compared, 10u);
}

}  // namespace
}  // namespace tattle::capture
