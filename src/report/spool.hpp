// Bytes written while a run goes and read back once at its end (the DNS log, which arrives while
// the flows are being written): in memory, in blocks that never move, up to a limit; past it in
// a temporary file, so that memory stays bounded however long the capture.
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <vector>

#include <sys/types.h>

namespace tattle::report {

class Spool {
 public:
  // A huge page of x86-64 and of most arm64 kernels; see Block.
  static constexpr std::size_t kBlock = std::size_t{2} << 20;
  static constexpr std::size_t kDefaultMemory = std::size_t{64} << 20;

  explicit Spool(std::size_t memory_limit = kDefaultMemory);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // A stdio stream that writes into the spool, unbuffered (its writer buffers); null if none
  // could be made.
  [[nodiscard]] std::FILE* file() const { return stream_; }
  // Everything written so far, in order, to `out`. False if the spool lost bytes (the temporary
  // file could not be made or written) or `out` failed.
  bool copy_to(std::FILE* out);
  // Room for at most `n` bytes, written in place and then ended by commit(): for records written
  // by the hundred thousand (the DNS log), which would otherwise be written twice, into a
  // writer's buffer and then here. Mostly a pointer into the current block; where the record
  // might not fit there (or the spool is past its memory), a scratch buffer, appended at commit.
  char* reserve(std::size_t n);
  // Ends what reserve() began; `end` is where writing stopped.
  void commit(const char* end);
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool spilled() const { return overflow_ != nullptr; }

 private:
  static ssize_t write(void* cookie, const char* data, std::size_t n);
  bool append(const char* data, std::size_t n);

  // A block of memory mapped on its own, aligned to its size, which the kernel is asked to back
  // with one huge page where it allows (transparent_hugepage "madvise" or "always"). Filling it
  // then costs one page fault rather than 512; the DNS log of a large capture is tens of MiB, and
  // its page faults were a measurable part of a run.
  struct Unmap {
    void operator()(char* p) const;
  };
  using Block = std::unique_ptr<char, Unmap>;
  static Block map_block();

  std::size_t memory_limit_;
  std::vector<Block> blocks_;
  std::size_t size_ = 0;  // bytes written, in memory and in the file
  std::FILE* overflow_ = nullptr;  // past memory_limit_
  char* reserved_ = nullptr;        // reserve()'s room in a block, or null: in scratch_
  std::vector<char> scratch_;
  bool failed_ = false;
  std::FILE* stream_ = nullptr;
};

}  // namespace tattle::report
