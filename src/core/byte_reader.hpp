// Bounds-checked reading of untrusted bytes: every parser in tattle reads through this.
// Failure is sticky: a read past the end yields 0 or an empty span, and ok() turns false for good.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tattle::core {

using Bytes = std::span<const std::uint8_t>;

class ByteReader {
 public:
  ByteReader() noexcept = default;
  explicit ByteReader(Bytes b) noexcept : rest_(b), size_(b.size()) {}

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return rest_.size(); }
  // Offset from the start of the span this reader was built on.
  [[nodiscard]] std::size_t offset() const noexcept { return size_ - rest_.size(); }
  [[nodiscard]] Bytes rest() const noexcept { return rest_; }

  // Takes exactly n bytes, or fails (sticky) and returns an empty span.
  Bytes take(std::size_t n) noexcept {
    if (n > rest_.size()) {
      fail();
      return {};
    }
    Bytes head = rest_.first(n);
    rest_ = rest_.subspan(n);
    return head;
  }
  bool skip(std::size_t n) noexcept { return take(n).size() == n && ok_; }
  // Looks at the next n bytes without consuming them; empty when fewer remain (does not fail).
  [[nodiscard]] Bytes peek(std::size_t n) const noexcept {
    return n > rest_.size() ? Bytes{} : rest_.first(n);
  }

  std::uint8_t u8() noexcept {
    const Bytes b = take(1);
    return b.empty() ? 0 : b[0];
  }
  std::uint16_t u16be() noexcept {
    const Bytes b = take(2);
    return b.empty() ? 0 : static_cast<std::uint16_t>(b[0] << 8 | b[1]);
  }
  std::uint16_t u16le() noexcept {
    const Bytes b = take(2);
    return b.empty() ? 0 : static_cast<std::uint16_t>(b[1] << 8 | b[0]);
  }
  std::uint32_t u32be() noexcept {
    const Bytes b = take(4);
    return b.empty() ? 0 : load_u32be(b.data());
  }
  std::uint32_t u32le() noexcept {
    const Bytes b = take(4);
    return b.empty() ? 0 : load_u32le(b.data());
  }
  std::uint64_t u64be() noexcept {
    const std::uint64_t hi = u32be();
    return hi << 32 | u32be();
  }
  std::uint64_t u64le() noexcept {
    const std::uint64_t lo = u32le();
    return static_cast<std::uint64_t>(u32le()) << 32 | lo;
  }
  std::uint16_t u16(bool big_endian) noexcept { return big_endian ? u16be() : u16le(); }
  std::uint32_t u32(bool big_endian) noexcept { return big_endian ? u32be() : u32le(); }
  std::uint64_t u64(bool big_endian) noexcept { return big_endian ? u64be() : u64le(); }

  // Length-prefixed child: it cannot read past its own length, and fails the parent if short.
  ByteReader sub(std::size_t n) noexcept { return ByteReader(take(n)); }
  ByteReader sub_u8() noexcept { return sub(u8()); }
  ByteReader sub_u16be() noexcept { return sub(u16be()); }

  static std::uint32_t load_u32be(const std::uint8_t* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | p[3];
  }
  static std::uint32_t load_u32le(const std::uint8_t* p) noexcept {
    return static_cast<std::uint32_t>(p[3]) << 24 | static_cast<std::uint32_t>(p[2]) << 16 |
           static_cast<std::uint32_t>(p[1]) << 8 | p[0];
  }

 private:
  void fail() noexcept {
    ok_ = false;
    rest_ = {};
  }

  Bytes rest_;
  std::size_t size_ = 0;
  bool ok_ = true;
};

}  // namespace tattle::core
