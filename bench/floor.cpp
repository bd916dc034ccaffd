// bench/floor.cpp: the floor for flow tools. It does the least that any of
// them must do with a capture, and nothing else: map a classic pcap, walk its
// records, decode Ethernet (one VLAN tag) -> IPv4/IPv6 -> TCP/UDP ports, and
// count packets per bidirectional 5-tuple in an open-addressing hash table.
// bench/run reports every other tool's time as a multiple of this one's.
//
// Usage: bench_floor FILE.pcap
// Input: little-endian classic pcap (µs or ns), Ethernet link type. Anything
// else is refused with a message; a truncated last record ends the walk.
// Deliberately standalone (no project code), so the floor cannot drift when
// tattle changes.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>

namespace {

constexpr std::uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kLinkEthernet = 1;
constexpr std::size_t kFileHeader = 24;
constexpr std::size_t kRecordHeader = 16;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

std::uint32_t le32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;  // little-endian hosts only, as the pcap files it reads
}

// Both directions of a flow share one key: the lower endpoint comes first.
struct FlowKey {
  std::uint8_t addr_lo[16];
  std::uint8_t addr_hi[16];
  std::uint16_t port_lo;
  std::uint16_t port_hi;
  std::uint8_t proto;
  std::uint8_t family;  // 4 or 6
  std::uint8_t pad[2];  // zeroed, so keys compare and hash as bytes
};
static_assert(sizeof(FlowKey) == 40);

std::uint64_t hash_key(const FlowKey& k) {
  std::uint64_t w[5];
  std::memcpy(w, &k, sizeof w);
  std::uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (std::uint64_t x : w) {
    h ^= x;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  return h;
}

// Linear probing over a power-of-two array; grows at half load.
class FlowTable {
 public:
  FlowTable() { allocate(1 << 16); }

  void add(const FlowKey& key) {
    if (size_ * 2 >= capacity_) grow();
    Slot& s = find(key, hash_key(key));
    if (s.count++ == 0) {
      s.key = key;
      ++size_;
    }
  }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  struct Slot {
    FlowKey key;
    std::uint64_t count;  // 0 marks an empty slot
  };

  Slot& find(const FlowKey& key, std::uint64_t h) {
    std::size_t i = h & (capacity_ - 1);
    while (slots_[i].count != 0 && std::memcmp(&slots_[i].key, &key, sizeof key) != 0) {
      i = (i + 1) & (capacity_ - 1);
    }
    return slots_[i];
  }

  void allocate(std::size_t capacity) {
    capacity_ = capacity;
    slots_ = std::make_unique<Slot[]>(capacity);  // value-initialised: all empty
  }

  void grow() {
    auto old = std::move(slots_);
    const std::size_t old_capacity = capacity_;
    allocate(capacity_ * 2);
    for (std::size_t i = 0; i < old_capacity; ++i) {
      if (old[i].count != 0) find(old[i].key, hash_key(old[i].key)) = old[i];
    }
  }

  std::unique_ptr<Slot[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

struct Counts {
  std::uint64_t packets = 0;
  std::uint64_t ip = 0;
  bool truncated = false;
};

// Fills `key` from one Ethernet frame; false if it is not IPv4/IPv6.
bool decode(std::span<const std::uint8_t> frame, FlowKey& key) {
  const std::uint8_t* p = frame.data();
  std::size_t n = frame.size();
  if (n < 14) return false;
  std::uint16_t ethertype = be16(p + 12);
  p += 14;
  n -= 14;
  if (ethertype == 0x8100 || ethertype == 0x88a8) {
    if (n < 4) return false;
    ethertype = be16(p + 2);
    p += 4;
    n -= 4;
  }

  std::uint8_t src[16] = {};
  std::uint8_t dst[16] = {};
  std::uint8_t proto = 0;
  bool fragment = false;
  std::size_t addr_len = 0;
  if (ethertype == 0x0800) {
    if (n < 20 || (p[0] >> 4) != 4) return false;
    const std::size_t ihl = (p[0] & 0x0f) * 4u;
    if (ihl < 20 || n < ihl) return false;
    proto = p[9];
    fragment = (be16(p + 6) & 0x3fff) != 0;  // MF or an offset
    addr_len = 4;
    std::memcpy(src, p + 12, 4);
    std::memcpy(dst, p + 16, 4);
    p += ihl;
    n -= ihl;
    key.family = 4;
  } else if (ethertype == 0x86dd) {
    if (n < 40 || (p[0] >> 4) != 6) return false;
    proto = p[6];
    addr_len = 16;
    std::memcpy(src, p + 8, 16);
    std::memcpy(dst, p + 24, 16);
    p += 40;
    n -= 40;
    // Hop-by-hop, routing, fragment and destination options headers.
    for (int i = 0; i < 4 && (proto == 0 || proto == 43 || proto == 44 || proto == 60); ++i) {
      if (n < 8) return false;
      const std::size_t len = proto == 44 ? 8 : (p[1] + 1u) * 8;
      if (proto == 44 && (be16(p + 2) & 0xfff9) != 0) fragment = true;
      if (n < len) return false;
      proto = p[0];
      p += len;
      n -= len;
    }
    key.family = 6;
  } else {
    return false;
  }

  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  if (!fragment && (proto == 6 || proto == 17) && n >= 4) {
    sport = be16(p);
    dport = be16(p + 2);
  }
  const int order = std::memcmp(src, dst, addr_len);
  const bool src_low = order < 0 || (order == 0 && sport <= dport);
  std::memcpy(key.addr_lo, src_low ? src : dst, 16);
  std::memcpy(key.addr_hi, src_low ? dst : src, 16);
  key.port_lo = src_low ? sport : dport;
  key.port_hi = src_low ? dport : sport;
  key.proto = proto;
  return true;
}

// Pages behind the cursor are dropped from the mapping every kReleaseStep
// bytes (they stay in the page cache), so peak RSS shows the table, not the
// file: a tool that reads with read() would not hold the file either.
constexpr std::size_t kReleaseStep = std::size_t{16} << 20;

Counts walk(std::span<const std::uint8_t> file, FlowTable& flows) {
  Counts c;
  std::size_t off = kFileHeader;
  std::size_t released = 0;  // a multiple of kReleaseStep, so page-aligned
  FlowKey key;
  std::memset(&key, 0, sizeof key);
  while (off + kRecordHeader <= file.size()) {
    if (off - released >= 2 * kReleaseStep) {
      madvise(const_cast<std::uint8_t*>(file.data()) + released, kReleaseStep, MADV_DONTNEED);
      released += kReleaseStep;
    }
    const std::uint32_t caplen = le32(file.data() + off + 8);
    off += kRecordHeader;
    if (caplen > file.size() - off) {
      c.truncated = true;
      break;
    }
    ++c.packets;
    if (decode(file.subspan(off, caplen), key)) {
      ++c.ip;
      flows.add(key);
    }
    off += caplen;
  }
  if (off != file.size()) c.truncated = true;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const int fd = open(argv[1], O_RDONLY);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < kFileHeader) {
    std::fprintf(stderr, "%s: too short for a pcap file\n", argv[1]);
    return 1;
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    std::perror("mmap");
    return 1;
  }
  madvise(map, size, MADV_SEQUENTIAL);
  const std::span<const std::uint8_t> file(static_cast<const std::uint8_t*>(map), size);

  const std::uint32_t magic = le32(file.data());
  if (magic != kMagicMicro && magic != kMagicNano) {
    const char* what = magic == 0x0a0d0d0a                             ? "pcapng (convert: editcap -F pcap)"
                       : (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) ? "a big-endian pcap"
                                                                       : "not a pcap file";
    std::fprintf(stderr, "%s: %s; this program reads little-endian classic pcap only\n", argv[1],
                 what);
    return 1;
  }
  const std::uint32_t linktype = le32(file.data() + 20) & 0x0fffffff;
  if (linktype != kLinkEthernet) {
    std::fprintf(stderr, "%s: link type %u is not Ethernet\n", argv[1], linktype);
    return 1;
  }

  FlowTable flows;
  const Counts c = walk(file, flows);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  munmap(map, size);
  close(fd);

  std::printf("packets %llu\nip_packets %llu\nflows %zu\nbytes %zu\nseconds %.6f\nMB/s %.1f\n",
              static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.ip),
              flows.size(), size, seconds, size / seconds / 1e6);
  if (c.truncated) std::fprintf(stderr, "%s: last record truncated\n", argv[1]);
  return 0;
}
