// Byte inputs under the capture readers: a window onto the (decompressed) file that the readers
// move forward through. Internal to the capture stage.
//
// Both inputs share one duck-typed interface, so that the readers are templates and the mapped
// path compiles down to plain pointer arithmetic:
//   Bytes window(n)      bytes from the current offset: at least n of them, or fewer only at the
//                        end of the input. The span stays valid until the next window() call.
//   void advance(n)      moves forward n bytes; n must not exceed the last window's size.
//   uint64 skip(n)       moves forward up to n bytes, beyond the window if need be; returns how
//                        many were skipped (fewer only at the end of the input).
//   uint64 offset()      current offset in the decompressed input.
//   uint64 position()    bytes of the underlying file consumed; size() its total size.
//   static constexpr bool kStable   whether spans stay valid for the life of the input.
#pragma once

#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/byte_reader.hpp"
#include "core/diagnostics.hpp"
#include "core/status.hpp"

namespace tattle::capture {

// A whole file in memory: a read-only private mapping of a plain file, or a caller's buffer.
class MappedInput {
 public:
  static constexpr bool kStable = true;

  // Maps `path`; fails if it cannot be opened, is not a regular file, or is empty.
  static absl::StatusOr<std::unique_ptr<MappedInput>> map_file(const std::string& path);
  // Takes ownership of `bytes`.
  static std::unique_ptr<MappedInput> from_buffer(std::vector<std::uint8_t> bytes);

  MappedInput(const MappedInput&) = delete;
  MappedInput& operator=(const MappedInput&) = delete;
  ~MappedInput();

  // Starts a thread that maps the file's pages in ahead of the reader, so that page faults are
  // paid on another core rather than on the reading thread (for runs with spare cores).
  void start_read_ahead();

  [[nodiscard]] core::Bytes window(std::size_t /*n*/) const noexcept {
    return {all_.data() + pos_, all_.size() - pos_};
  }
  void advance(std::size_t n) noexcept {
    pos_ += n;
    if (pos_ >= release_at_) release_behind();
  }
  std::uint64_t skip(std::uint64_t n) noexcept {
    const std::uint64_t left = all_.size() - pos_;
    const std::uint64_t k = n < left ? n : left;
    pos_ += static_cast<std::size_t>(k);
    if (pos_ >= release_at_) release_behind();
    return k;
  }
  [[nodiscard]] std::uint64_t offset() const noexcept { return pos_; }
  [[nodiscard]] std::uint64_t position() const noexcept { return pos_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return all_.size(); }
  [[nodiscard]] core::Bytes all() const noexcept { return all_; }

 private:
  MappedInput() = default;
  // Drops the pages already read from this process's resident set, so that memory follows the
  // live flows and not the file size. Spans into them stay valid: a file-backed page that is
  // touched again is simply read back from the page cache.
  void release_behind() noexcept;

  static constexpr std::size_t kReleaseEvery = 32 << 20;

  void read_ahead_loop() noexcept;

  core::Bytes all_;
  std::size_t pos_ = 0;
  std::atomic<std::size_t> published_pos_{0};  // pos_ as the read-ahead thread sees it
  std::atomic<bool> stop_{false};
  std::thread read_ahead_;
  std::size_t released_ = 0;  // bytes from the start of the mapping already released
  std::size_t release_at_ = ~std::size_t{0};  // next position that triggers a release (mappings only)
  void* map_ = nullptr;  // munmap'd in the destructor when set
  std::vector<std::uint8_t> owned_;
};

// Asks the CPU for the next record's header and the packet headers after it, so that they
// arrive while this packet is decoded and tracked rather than when the reader next waits on
// them. Only for mapped input, whose window is the rest of the file (a gzip window is hot).
template <class In>
inline void prefetch_next(const In& in) noexcept {
  if constexpr (In::kStable) {
    const core::Bytes rest = in.window(0);
    if (rest.size() >= 128) {
      __builtin_prefetch(rest.data());
      __builtin_prefetch(rest.data() + 64);
    }
  }
}

// A gzip file (one or more members) inflated on demand into a bounded window that grows to at
// most kMaxWindow bytes, whatever the file size. Spans are valid until the next window() call.
// Damage in the compressed stream ends the input early, with a warning.
class GzipInput {
 public:
  static constexpr bool kStable = false;
  static constexpr std::size_t kMaxWindow = 17 * 1024 * 1024;  // > kMaxBlockLength

  // Reads compressed bytes from `path` through a small buffer.
  static absl::StatusOr<std::unique_ptr<GzipInput>> open_file(const std::string& path);
  // Inflates `bytes` (kept by the input).
  static std::unique_ptr<GzipInput> from_buffer(std::vector<std::uint8_t> bytes);

  GzipInput(const GzipInput&) = delete;
  GzipInput& operator=(const GzipInput&) = delete;
  ~GzipInput();

  // Warnings about the compressed stream go to `diag` for input `input` (null: none).
  void report_to(core::Diagnostics* diag, std::uint32_t input) noexcept {
    diag_ = diag;
    input_ = input;
  }

  core::Bytes window(std::size_t n);
  void advance(std::size_t n) noexcept {
    begin_ += n;
    offset_ += n;
  }
  std::uint64_t skip(std::uint64_t n);
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  [[nodiscard]] std::uint64_t position() const noexcept;
  [[nodiscard]] std::uint64_t size() const noexcept { return file_size_; }

 private:
  GzipInput();
  bool init_stream();
  // Inflates more bytes behind end_; false when the stream has ended (or broke).
  bool fill();
  bool refill_input();

  z_stream zs_{};
  bool zs_ready_ = false;
  bool done_ = false;

  // Compressed source: either a whole buffer or a file read in chunks.
  std::vector<std::uint8_t> owned_;
  int fd_ = -1;
  std::vector<std::uint8_t> in_buf_;
  std::uint64_t in_read_ = 0;  // compressed bytes handed to zlib so far
  std::uint64_t file_size_ = 0;

  std::unique_ptr<std::uint8_t[]> buf_;
  std::size_t cap_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::uint64_t offset_ = 0;

  core::Diagnostics* diag_ = nullptr;
  std::uint32_t input_ = 0;
};

// True when `b` starts with the gzip magic (RFC 1952 §2.3.1).
inline bool is_gzip(core::Bytes b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

}  // namespace tattle::capture
