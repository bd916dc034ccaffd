#include "dissect/content_coding.hpp"

#include <gtest/gtest.h>

#include <string>

#include <brotli/encode.h>
#include <zstd.h>

#include "support/codings.hpp"

namespace tattle::dissect {
namespace {

// Bodies are coded by the libraries' own encoders: the decoder is checked against them, not
// against itself.
using test_support::gzip;
using test_support::zlib_code;

std::string brotli(const std::string& in) {
  std::size_t size = BrotliEncoderMaxCompressedSize(in.size());
  std::string out(size, '\0');
  EXPECT_TRUE(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, in.size(),
                                    reinterpret_cast<const std::uint8_t*>(in.data()), &size,
                                    reinterpret_cast<std::uint8_t*>(out.data())));
  out.resize(size);
  return out;
}

std::string zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_EQ(ZSTD_isError(n), 0u);
  out.resize(n);
  return out;
}

core::Bytes bytes_of(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
std::string text(core::Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Decodes `coded` fed `piece` bytes at a time.
BodyDecoder decode(std::string_view coding, const std::string& coded, std::size_t piece, std::size_t limit = 1 << 20) {
  BodyDecoder d(coding, limit);
  for (std::size_t at = 0; at < coded.size(); at += piece) d.feed(bytes_of(coded).subspan(at, std::min(piece, coded.size() - at)));
  d.finish();
  return d;
}

const std::string kBody = [] {
  std::string s;
  for (int i = 0; i < 2000; ++i) s += "{\"event\":\"keystroke\",\"n\":" + std::to_string(i * 7919 % 1000) + "}\n";
  return s;
}();

TEST(BodyDecoder, UndoesEachCodingInAnyPieces) {
  struct Case {
    std::string_view coding;
    std::string coded;
  };
  const Case cases[] = {
      {"gzip", gzip(kBody)},           {"x-gzip", gzip(kBody)},      {"deflate", zlib_code(kBody, 15)},
      {"Deflate", zlib_code(kBody, -15)},  // raw deflate, as some servers send it
      {"br", brotli(kBody)},           {"zstd", zstd(kBody)},        {"identity", kBody},
      {"", kBody},
  };
  for (const auto& c : cases)
    for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
      const BodyDecoder d = decode(c.coding, c.coded, piece);
      EXPECT_TRUE(text(d.out()) == kBody) << c.coding << " in pieces of " << piece << ": " << d.out().size() << " bytes";
      EXPECT_TRUE(d.whole()) << c.coding;
      EXPECT_EQ(d.error(), "") << c.coding;
    }
}

TEST(BodyDecoder, ReadsGzipMembersOneAfterAnother) {
  const BodyDecoder d = decode("gzip", gzip("first,") + gzip("second"), 5);
  EXPECT_EQ(text(d.out()), "first,second");
  EXPECT_TRUE(d.whole());
}

TEST(BodyDecoder, StopsABombAtItsLimit) {
  const std::string zeros(50 << 20, '\0');
  for (const auto& [coding, coded] : {std::pair<std::string_view, std::string>{"gzip", gzip(zeros)},
                                      {"br", brotli(zeros)}, {"zstd", zstd(zeros)}}) {
    ASSERT_LT(coded.size(), 100000u) << coding;
    const BodyDecoder d = decode(coding, coded, 4096, 64 * 1024);
    EXPECT_EQ(d.out().size(), 64u * 1024) << coding;
    EXPECT_FALSE(d.whole()) << coding;
    EXPECT_EQ(d.error(), "") << coding;
  }
}

TEST(BodyDecoder, KeepsPlainBodiesUpToTheLimit) {
  const BodyDecoder d = decode("", kBody, 1000, 100);
  EXPECT_EQ(text(d.out()), kBody.substr(0, 100));
  EXPECT_FALSE(d.whole());
}

TEST(BodyDecoder, SaysWhenACodingCannotBeUndone) {
  const std::string coded = gzip(kBody);
  // Cut short: what came is decoded, and the body is not whole.
  const BodyDecoder cut = decode("gzip", coded.substr(0, coded.size() / 2), 64);
  EXPECT_EQ(cut.error(), "corrupt_encoding");
  EXPECT_FALSE(cut.whole());
  EXPECT_TRUE(text(cut.out()) == kBody.substr(0, cut.out().size()));
  EXPECT_EQ(decode("gzip", "not gzip at all", 4).error(), "corrupt_encoding");
  EXPECT_EQ(decode("br", "\xff\xff\xff\xff not brotli", 4).error(), "corrupt_encoding");
  EXPECT_EQ(decode("zstd", "not zstd", 4).error(), "corrupt_encoding");
  // Unknown codings and chains of codings are kept as carried.
  const BodyDecoder chain = decode("gzip, br", "abc", 1);
  EXPECT_EQ(chain.error(), "unsupported_encoding");
  EXPECT_EQ(text(chain.out()), "abc");
  // No body at all is no broken stream.
  EXPECT_EQ(decode("gzip", "", 1).error(), "");
}

}  // namespace
}  // namespace tattle::dissect
