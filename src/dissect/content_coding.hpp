// HTTP bodies with their content coding undone (RFC 9110 §8.4.1: gzip, deflate; RFC 7932's br;
// RFC 8878's zstd) as the body arrives, into a bounded output: decoding stops once `limit` bytes
// are out, so a small body that inflates without end (a decompression bomb) costs no more than
// `limit` bytes of output and the input it took to make them.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "core/byte_reader.hpp"

namespace tattle::dissect {

class BodyDecoder {
 public:
  enum class Coding : std::uint8_t { kIdentity, kGzip, kDeflate, kBrotli, kZstd, kUnsupported };

  // `content_encoding` as sent ("gzip", "identity", "", "GZip"). Several codings in a row
  // ("gzip, br") and unknown ones are kUnsupported: the body is then kept as carried.
  BodyDecoder(std::string_view content_encoding, std::size_t limit);
  ~BodyDecoder();
  BodyDecoder(BodyDecoder&&) noexcept;
  BodyDecoder& operator=(BodyDecoder&&) noexcept;

  // The next bytes of the body, as carried.
  void feed(core::Bytes in);
  // The body has ended: a coded stream that had not reached its end is corrupt.
  void finish();

  [[nodiscard]] Coding coding() const { return coding_; }
  // The decoded bytes (as carried, for kIdentity and after an error), at most `limit`.
  [[nodiscard]] core::Bytes out() const { return {out_.data(), out_.size()}; }
  // Whether out() is the whole body: false once the limit cut it, or the coding failed.
  [[nodiscard]] bool whole() const { return !cut_ && error_.empty(); }
  // "" or why out() is not decoded: "unsupported_encoding", "corrupt_encoding".
  [[nodiscard]] std::string_view error() const { return error_; }

  struct State;  // a decompressor (content_coding.cpp)

 private:
  void fail(std::string_view why);
  void keep_raw(core::Bytes in);

  Coding coding_;
  std::size_t limit_;
  std::vector<std::uint8_t> out_;
  std::unique_ptr<State> state_;  // the decompressor's; null for identity, after an error or the end
  bool cut_ = false;              // output stopped at the limit with input still to decode
  bool ended_ = false;            // the coded stream reached its end
  bool fed_ = false;              // some of the body came
  std::string_view error_;
};

}  // namespace tattle::dissect
