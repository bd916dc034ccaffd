#include "capture/input.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace tattle::capture {

namespace {

constexpr std::size_t kInChunk = 256 * 1024;
constexpr std::size_t kInitialWindow = 1024 * 1024;

absl::Status errno_status(const std::string& path, const char* what) {
  return absl::NotFoundError(fmt::format("{}: cannot {}: {}", path, what, std::strerror(errno)));
}

// Opens a regular, non-empty file for reading; returns the fd and its size.
absl::StatusOr<std::pair<int, std::uint64_t>> open_regular(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(path, "open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto s = errno_status(path, "stat");
    ::close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(fmt::format("{}: not a regular file", path));
  }
  if (st.st_size == 0) {
    ::close(fd);
    return absl::InvalidArgumentError(fmt::format("{}: empty file", path));
  }
  return std::make_pair(fd, static_cast<std::uint64_t>(st.st_size));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MappedInput

absl::StatusOr<std::unique_ptr<MappedInput>> MappedInput::map_file(const std::string& path) {
  auto opened = open_regular(path);
  if (!opened.ok()) return opened.status();
  const auto [fd, size] = *opened;
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) {
    errno = map_errno;
    return errno_status(path, "map");
  }
  // Readers go front to back once: let the kernel read ahead and drop pages behind us.
  ::madvise(map, size, MADV_SEQUENTIAL);
  std::unique_ptr<MappedInput> in(new MappedInput());
  in->map_ = map;
  in->all_ = core::Bytes(static_cast<const std::uint8_t*>(map), size);
  in->release_at_ = kReleaseEvery;
  return in;
}

void MappedInput::release_behind() noexcept {
  release_at_ = pos_ + kReleaseEvery;
  published_pos_.store(pos_, std::memory_order_relaxed);
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t upto = (pos_ - kReleaseEvery / 2) / page * page;  // keep the recent past
  if (map_ == nullptr || upto <= released_) return;
  ::madvise(static_cast<std::uint8_t*>(map_) + released_, upto - released_, MADV_DONTNEED);
  released_ = upto;
}

std::unique_ptr<MappedInput> MappedInput::from_buffer(std::vector<std::uint8_t> bytes) {
  std::unique_ptr<MappedInput> in(new MappedInput());
  in->owned_ = std::move(bytes);
  in->all_ = core::Bytes(in->owned_.data(), in->owned_.size());
  return in;
}

MappedInput::~MappedInput() {
  if (read_ahead_.joinable()) {
    stop_.store(true);
    read_ahead_.join();
  }
  if (map_ != nullptr) ::munmap(map_, all_.size());
}

void MappedInput::start_read_ahead() {
  if (map_ != nullptr && !read_ahead_.joinable()) read_ahead_ = std::thread([this] { read_ahead_loop(); });
}

void MappedInput::read_ahead_loop() noexcept {
  constexpr std::size_t kAhead = 2 * kReleaseEvery;  // how far ahead of the reader to stay
  constexpr std::size_t kStep = 2 << 20;
  auto* base = static_cast<std::uint8_t*>(map_);
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::size_t done = 0;
  while (!stop_.load(std::memory_order_relaxed) && done < all_.size()) {
    const std::size_t want = std::min(all_.size(), published_pos_.load(std::memory_order_relaxed) + kAhead);
    if (done >= want) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    const std::size_t n = std::min(kStep, want - done);
    if (::madvise(base + done, n, MADV_POPULATE_READ) != 0) {
      // Kernels before 5.14 lack MADV_POPULATE_READ: touching a byte per page does the same.
      std::uint8_t sink = 0;
      for (std::size_t i = 0; i < n; i += page) sink ^= *static_cast<volatile std::uint8_t*>(base + done + i);
      (void)sink;
    }
    done += n;
  }
}

// ---------------------------------------------------------------------------------------------
// GzipInput

GzipInput::GzipInput() = default;

GzipInput::~GzipInput() {
  if (zs_ready_) inflateEnd(&zs_);
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::unique_ptr<GzipInput>> GzipInput::open_file(const std::string& path) {
  auto opened = open_regular(path);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<GzipInput> in(new GzipInput());
  in->fd_ = opened->first;
  in->file_size_ = opened->second;
  in->in_buf_.resize(kInChunk);
  ::posix_fadvise(in->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (!in->init_stream()) return absl::InternalError(fmt::format("{}: zlib init failed", path));
  return in;
}

std::unique_ptr<GzipInput> GzipInput::from_buffer(std::vector<std::uint8_t> bytes) {
  std::unique_ptr<GzipInput> in(new GzipInput());
  in->owned_ = std::move(bytes);
  in->file_size_ = in->owned_.size();
  if (!in->init_stream()) in->done_ = true;
  // The whole buffer is the input: hand it to zlib at once.
  in->zs_.next_in = in->owned_.data();
  in->zs_.avail_in = static_cast<uInt>(in->owned_.size());
  in->in_read_ = in->owned_.size();
  return in;
}

bool GzipInput::init_stream() {
  // 16 + MAX_WBITS: gzip wrapper only (zlib.h, inflateInit2).
  if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) return false;
  zs_ready_ = true;
  return true;
}

std::uint64_t GzipInput::position() const noexcept { return in_read_ - zs_.avail_in; }

bool GzipInput::refill_input() {
  if (fd_ < 0) return false;  // buffer input: everything was handed over at the start
  ssize_t got;
  do {
    got = ::read(fd_, in_buf_.data(), in_buf_.size());
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    if (got < 0 && diag_ != nullptr)
      diag_->warn(input_, offset_ + (end_ - begin_),
                  fmt::format("read error in compressed file: {}", std::strerror(errno)));
    return false;
  }
  zs_.next_in = in_buf_.data();
  zs_.avail_in = static_cast<uInt>(got);
  in_read_ += static_cast<std::uint64_t>(got);
  return true;
}

bool GzipInput::fill() {
  if (done_) return false;
  const std::uint64_t here = offset_ + (end_ - begin_);
  while (true) {
    if (zs_.avail_in == 0 && !refill_input()) {
      // Input ended inside a member: the file was cut short.
      if (diag_ != nullptr && (zs_.total_in != 0 || zs_.total_out != 0))
        diag_->warn(input_, here, "compressed stream ends early (truncated gzip file)");
      done_ = true;
      return false;
    }
    zs_.next_out = buf_.get() + end_;
    zs_.avail_out = static_cast<uInt>(cap_ - end_);
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    const std::size_t produced = (cap_ - end_) - zs_.avail_out;
    end_ += produced;
    if (rc == Z_STREAM_END) {
      // RFC 1952 §2.2: a gzip file may be several members back to back. Anything else after
      // a member is trailing garbage, which gzip(1) also ignores with a warning.
      if (zs_.avail_in == 0 && !refill_input()) {
        done_ = true;
        return produced > 0;
      }
      if (zs_.next_in[0] != 0x1f) {
        if (diag_ != nullptr)
          diag_->warn(input_, offset_ + (end_ - begin_),
                      "trailing garbage after the gzip stream ignored");
        done_ = true;
        return produced > 0;
      }
      inflateReset(&zs_);
      if (produced > 0) return true;
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      if (diag_ != nullptr)
        diag_->warn(input_, offset_ + (end_ - begin_),
                    fmt::format("corrupt gzip data ({}) at compressed offset {}",
                                zs_.msg != nullptr ? zs_.msg : "inflate error", position()));
      done_ = true;
      return produced > 0;
    }
    if (produced > 0) return true;
    if (rc == Z_BUF_ERROR && zs_.avail_in != 0) {
      // No progress although input and output space remain: zlib says the stream is stuck.
      done_ = true;
      return false;
    }
  }
}

core::Bytes GzipInput::window(std::size_t n) {
  if (n > kMaxWindow) n = kMaxWindow;
  while (end_ - begin_ < n && !done_) {
    if (begin_ + n > cap_ || end_ == cap_) {
      // Make room: slide the unread tail to the front, growing the buffer only when the request
      // itself is larger than it (bounded by kMaxWindow).
      const std::size_t live = end_ - begin_;
      std::size_t want = cap_ == 0 ? kInitialWindow : cap_;
      while (want < n) want *= 2;
      if (want > kMaxWindow) want = kMaxWindow;
      if (want != cap_) {
        std::unique_ptr<std::uint8_t[]> grown(new std::uint8_t[want]);
        if (live != 0) std::memcpy(grown.get(), buf_.get() + begin_, live);
        buf_ = std::move(grown);
        cap_ = want;
      } else if (begin_ != 0) {
        std::memmove(buf_.get(), buf_.get() + begin_, live);
      }
      begin_ = 0;
      end_ = live;
    }
    if (!fill()) break;
  }
  return {buf_.get() + begin_, end_ - begin_};
}

std::uint64_t GzipInput::skip(std::uint64_t n) {
  std::uint64_t skipped = 0;
  while (skipped < n) {
    const std::uint64_t want = n - skipped;
    const core::Bytes w =
        window(want < kInitialWindow ? static_cast<std::size_t>(want) : kInitialWindow);
    if (w.empty()) break;
    const std::size_t k = static_cast<std::size_t>(want < w.size() ? want : w.size());
    advance(k);
    skipped += k;
  }
  return skipped;
}

}  // namespace tattle::capture
