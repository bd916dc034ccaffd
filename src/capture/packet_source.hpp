// Reading capture files: pcap (all four magics) and pcapng (every block type we know, others
// skipped by length), plain or gzip'd, memory-mapped when plain. Damage is reported through
// core::Diagnostics with the byte offset, and reading resumes wherever the format allows.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/frame.hpp"
#include "core/app.hpp"
#include "core/counter.hpp"
#include "core/diagnostics.hpp"
#include "core/ip_address.hpp"
#include "core/status.hpp"

namespace tattle::capture {

enum class CaptureCounter {
  kRecords,           // packet records read (EPB, SPB, pcap records)
  kTruncatedRecords,  // records whose captured length < wire length (snaplen)
  kBadRecords,        // records whose header lied (length beyond the file, beyond limits)
  kSkippedBlocks,     // pcapng blocks skipped: custom, unknown or unusable
  kSkippedBytes,      // bytes passed over while resynchronising or skipping damage
  kSections,          // pcapng sections (SHB) seen
  kInterfaces,        // pcapng IDBs seen
  kNameRecords,       // NRB entries kept
  kSecrets,           // DSB secrets kept
  kStatistics,        // ISBs seen
  kBadBlocks,         // pcapng blocks whose framing lied (length, trailer, beyond the file)
  kMetadataDropped,   // interfaces, names, secrets, processes beyond kMaxMetadata (hostile files)
  kCount,
};
std::string_view counter_name(CaptureCounter c);

// DNS names the capturer already resolved (pcapng NRB).
struct NameRecord {
  core::IpAddress addr;
  std::string name;
};

// Decryption secrets embedded in the file (pcapng DSB); kept for the whole run, since DSBs may
// come after the packets they decrypt.
struct Secret {
  static constexpr std::uint32_t kTlsKeyLog = 0x544c534b;  // "TLSK": SSLKEYLOGFILE text
  std::uint32_t type = 0;
  std::string data;
  std::uint64_t offset = 0;  // where `data` begins in the input
};

struct Limits {
  std::uint32_t max_record = 256 * 1024;  // a record larger than this is treated as damage
  // Memory-mapped inputs: map pages in on a helper thread ahead of the reader (--threads > 1).
  bool read_ahead_thread = false;
};

// A pcapng block longer than this is treated as damage (its length field is not believed), so
// that a gzip'd input needs a window of at most this size.
inline constexpr std::uint32_t kMaxBlockLength = 16 * 1024 * 1024;

// Per input, at most this many of each kind of metadata (interfaces per section, name records,
// secrets, process entries) are kept, so that a file made of nothing else cannot grow memory
// with its size; the rest is counted in kMetadataDropped.
inline constexpr std::size_t kMaxMetadata = 1 << 16;

// What the report says about one input.
struct InputInfo {
  std::string path;
  std::string format;        // "pcap", "pcap-ns", "pcapng"
  bool gzip = false;
  std::vector<std::uint32_t> link_types;  // distinct, in order of first appearance
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;   // captured bytes of packet records
  core::Timestamp first, last;  // earliest and latest packet time (not file order); 0 if none
  core::Counters<CaptureCounter> counters;
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;

  // Opens `path` (format detected from its first bytes, gzip transparently). Fails only when
  // nothing can be read at all: missing, unreadable, empty, or not a capture. `input` is the
  // index from diag.add_input(path); `apps` receives the apps that pcapng blocks name.
  static absl::StatusOr<std::unique_ptr<PacketSource>> open(const std::string& path,
                                                            std::uint32_t input,
                                                            core::Diagnostics& diag,
                                                            core::AppRegistry& apps,
                                                            Limits limits = {});

  // The same over bytes already in memory (tests, fuzzing); `name` stands for the path in
  // messages and InputInfo. Gzip'd buffers are inflated through the same bounded window. Frames
  // of a plain buffer stay valid for the life of the source (stable() is true).
  static absl::StatusOr<std::unique_ptr<PacketSource>> open_buffer(std::string name,
                                                                   std::vector<std::uint8_t> bytes,
                                                                   std::uint32_t input,
                                                                   core::Diagnostics& diag,
                                                                   core::AppRegistry& apps,
                                                                   Limits limits = {});

  // Reads the next packet record. False at the end of the input (also after damage that cannot
  // be skipped, which has then been reported).
  virtual bool next(Frame& frame) = 0;

  // True when frame bytes stay valid for the life of the source (memory-mapped input); false
  // when they are valid only until the next call to next() (decompressed input).
  [[nodiscard]] virtual bool stable() const = 0;

  [[nodiscard]] virtual const InputInfo& info() const = 0;
  // Name records (pcapng NRB) read so far: the same vector for the life of the source, growing.
  [[nodiscard]] virtual const std::vector<NameRecord>& names() const = 0;
  [[nodiscard]] virtual const std::vector<Secret>& secrets() const = 0;

  // Progress: bytes consumed of the underlying file, and its size (compressed size for gzip).
  [[nodiscard]] virtual std::uint64_t position() const = 0;
  [[nodiscard]] virtual std::uint64_t size() const = 0;
};

}  // namespace tattle::capture
