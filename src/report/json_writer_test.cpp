#include "report/json_writer.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

namespace tattle::report {
namespace {

std::string json_quoted(std::string_view s) {
  fmt::memory_buffer b;
  JsonWriter::quote(b, s);
  return fmt::to_string(b);
}

// What `write` makes a JsonWriter put out.
template <class F>
std::string written(F&& write) {
  char* data = nullptr;
  std::size_t size = 0;
  std::FILE* f = open_memstream(&data, &size);
  {
    JsonWriter w(f);
    write(w);
  }
  std::fclose(f);
  std::string out(data, size);
  std::free(data);
  return out;
}

TEST(JsonWriter, WritesDurationsAsExactSeconds) {
  const auto seconds = [](std::int64_t ns) { return written([&](JsonWriter& w) { w.seconds(ns); }); };
  EXPECT_EQ(seconds(12'340'000), "0.01234");
  EXPECT_EQ(seconds(2'000'000'000), "2");
  EXPECT_EQ(seconds(1), "0.000000001");
  EXPECT_EQ(seconds(61'500'000'000), "61.5");
  EXPECT_EQ(seconds(0), "0");
  EXPECT_EQ(seconds(-1'500'000'000), "-1.5");
}

TEST(JsonWriter, WritesAnEmptyViewWithoutData) {
  EXPECT_EQ(json_quoted(std::string_view()), R"("")");
  EXPECT_EQ(written([](JsonWriter& w) { w.value(std::string_view()); }), R"("")");
}

TEST(JsonWriter, EscapesPerRfc8259) {
  EXPECT_EQ(json_quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quoted("line\nbreak\t"), R"("line\nbreak\t")");
  EXPECT_EQ(json_quoted(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalid) {
  EXPECT_EQ(json_quoted("Gr\xc3\xbc\xc3\x9f"), "\"Gr\xc3\xbc\xc3\x9f\"");     // valid 2-byte sequences
  EXPECT_EQ(json_quoted("\xf0\x9f\x94\x92"), "\"\xf0\x9f\x94\x92\"");          // valid 4-byte sequence
  EXPECT_EQ(json_quoted("a\xff" "b"), R"("a\ufffdb")");                        // never valid in UTF-8
  EXPECT_EQ(json_quoted("\xc3"), R"("\ufffd")");                               // cut short
  EXPECT_EQ(json_quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");           // a UTF-16 surrogate
  EXPECT_EQ(json_quoted("\xc0\xaf"), R"("\ufffd\ufffd")");                     // overlong
}

// Strings are checked eight bytes at a time: every byte value, at every place in a word and in
// the tail after the last whole word, must be told plain or not exactly as RFC 8259 says.
TEST(JsonWriter, TellsEveryByteThatNeedsEscapingWhereverItStands) {
  for (int c = 0; c < 256; ++c) {
    const bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    for (std::size_t at = 0; at < 19; ++at) {
      std::string s = "abcdefghijklmnopqrs";
      s[at] = static_cast<char>(c);
      const bool copied = json_quoted(s) == "\"" + s + "\"";
      EXPECT_EQ(copied, plain) << "byte " << c << " at " << at;
    }
  }
}

TEST(JsonWriter, SeparatesMembersAndElements) {
  EXPECT_EQ(written([](JsonWriter& w) {
              w.begin_object();
              w.key("a");
              w.value(std::uint64_t{1});
              w.key("b");
              w.begin_array();
              w.value("x");
              w.null();
              w.value(true);
              w.begin_object();
              w.end_object();
              w.end_array();
              w.key("c");
              w.value(std::int64_t{-2});
              w.end_object();
            }),
            R"({"a":1,"b":["x",null,true,{}],"c":-2})");
  EXPECT_EQ(written([](JsonWriter& w) {
              w.begin_array();
              w.break_before_next();
              w.value("a");
              w.break_before_next();
              w.value("b");
              w.end_array();
            }),
            "[\n\"a\",\n\"b\"]");
}

TEST(JsonWriter, WritesShortestDoublesAndNullForNan) {
  EXPECT_EQ(written([](JsonWriter& w) {
              w.begin_array();
              w.value(0.000353);
              w.value(2.5);
              w.value(std::numeric_limits<double>::quiet_NaN());
              w.end_array();
            }),
            "[0.000353,2.5,null]");
}

TEST(JsonWriter, SplicesItemsWrittenElsewhere) {
  Spool spool;
  {
    JsonWriter items(spool.file());
    items.begin_items();
    items.value("a");
    items.value(std::uint64_t{2});
    items.flush();
  }
  EXPECT_EQ(written([&](JsonWriter& w) {
              w.begin_object();
              w.key("x");
              w.begin_array();
              w.value("first");
              EXPECT_TRUE(w.splice(spool));
              w.value("last");
              w.end_array();
              w.end_object();
            }),
            R"({"x":["first","a",2,"last"]})");
}

}  // namespace
}  // namespace tattle::report
