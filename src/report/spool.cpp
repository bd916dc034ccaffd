#include "report/spool.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <stdio.h>  // fopencookie (glibc)
#include <sys/mman.h>

namespace tattle::report {

Spool::Spool(std::size_t memory_limit) : memory_limit_(memory_limit) {
  const cookie_io_functions_t io{nullptr, &Spool::write, nullptr, nullptr};
  stream_ = fopencookie(this, "w", io);
  if (stream_ != nullptr) std::setvbuf(stream_, nullptr, _IONBF, 0);
}

Spool::~Spool() {
  if (stream_ != nullptr) std::fclose(stream_);
  if (overflow_ != nullptr) std::fclose(overflow_);
}

void Spool::Unmap::operator()(char* p) const { munmap(p, kBlock); }

Spool::Block Spool::map_block() {
  // Twice the size, then the unaligned ends given back: mmap aligns only to a page.
  void* const mapped = mmap(nullptr, 2 * kBlock, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return nullptr;
  char* const start = static_cast<char*>(mapped);
  const std::size_t head = (kBlock - reinterpret_cast<std::uintptr_t>(start) % kBlock) % kBlock;
  if (head > 0) munmap(start, head);
  if (head < kBlock) munmap(start + head + kBlock, kBlock - head);
  madvise(start + head, kBlock, MADV_HUGEPAGE);  // a hint: without huge pages it works as well
  return Block(start + head);
}

ssize_t Spool::write(void* cookie, const char* data, std::size_t n) {
  auto* self = static_cast<Spool*>(cookie);
  return self->append(data, n) ? static_cast<ssize_t>(n) : -1;
}

bool Spool::append(const char* data, std::size_t n) {
  while (n > 0 && size_ < memory_limit_) {
    const std::size_t in_block = size_ % kBlock;
    if (in_block == 0) {
      Block b = map_block();
      if (b == nullptr) {  // no memory left: the rest goes to the file
        memory_limit_ = size_;
        break;
      }
      blocks_.push_back(std::move(b));
    }
    const std::size_t take = std::min({n, kBlock - in_block, memory_limit_ - size_});
    std::memcpy(blocks_.back().get() + in_block, data, take);
    size_ += take;
    data += take;
    n -= take;
  }
  if (n == 0) return true;
  if (overflow_ == nullptr && !failed_) overflow_ = std::tmpfile();
  if (overflow_ == nullptr || std::fwrite(data, 1, n, overflow_) != n) {
    failed_ = true;
    return false;
  }
  size_ += n;
  return true;
}

char* Spool::reserve(std::size_t n) {
  const std::size_t in_block = size_ % kBlock;
  if (in_block != 0 && n <= kBlock - in_block && n <= memory_limit_ - std::min(size_, memory_limit_)) {
    reserved_ = blocks_.back().get() + in_block;
    return reserved_;
  }
  reserved_ = nullptr;
  scratch_.resize(n);
  return scratch_.data();
}

void Spool::commit(const char* end) {
  if (reserved_ != nullptr) {
    size_ += static_cast<std::size_t>(end - reserved_);
    reserved_ = nullptr;
  } else {
    append(scratch_.data(), static_cast<std::size_t>(end - scratch_.data()));  // a failure is kept in failed_
  }
}

bool Spool::copy_to(std::FILE* out) {
  if (stream_ != nullptr) std::fflush(stream_);
  const std::size_t in_memory = std::min(size_, memory_limit_);
  for (std::size_t at = 0; at < in_memory; at += kBlock) {
    const std::size_t n = std::min(kBlock, in_memory - at);
    if (std::fwrite(blocks_[at / kBlock].get(), 1, n, out) != n) return false;
  }
  if (overflow_ != nullptr) {
    if (std::fflush(overflow_) != 0) return false;
    std::rewind(overflow_);
    char chunk[1 << 16];
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, overflow_)) > 0)
      if (std::fwrite(chunk, 1, n, out) != n) return false;
    if (std::ferror(overflow_) != 0) return false;
  }
  return stream_ != nullptr && !failed_;
}

}  // namespace tattle::report
