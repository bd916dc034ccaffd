#include "decrypt/keylog.hpp"

#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

namespace tattle::decrypt {
namespace {

// A client random whose bytes all are `b`, and its hex.
ClientRandom random_of(std::uint8_t b) {
  ClientRandom r;
  r.fill(b);
  return r;
}
std::string hex_of(std::uint8_t b, std::size_t n, bool upper = false) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += upper ? fmt::format("{:02X}", b) : fmt::format("{:02x}", b);
  return s;
}

TEST(KeyLog, ReadsEveryLabelInEitherCaseWithCommentsBlankLinesAndCrlf) {
  const std::string r1 = hex_of(0xa1, 32), r2 = hex_of(0xb2, 32, true);
  const std::string text = "# written by a test\r\n"
                           "\r\n"
                           "CLIENT_RANDOM " + r1 + " " + hex_of(0x01, 48) + "\r\n"
                           "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + r2 + " " + hex_of(0x02, 32, true) + "\n"
                           "SERVER_HANDSHAKE_TRAFFIC_SECRET\t" + r2 + "\t" + hex_of(0x03, 32) + "\n"
                           "   \n"
                           "CLIENT_TRAFFIC_SECRET_0 " + r2 + " " + hex_of(0x04, 48) + "\n"
                           "SERVER_TRAFFIC_SECRET_0 " + r2 + " " + hex_of(0x05, 48) + "\n"
                           "CLIENT_EARLY_TRAFFIC_SECRET " + r2 + " " + hex_of(0x06, 32) + "\n"
                           "EARLY_EXPORTER_SECRET " + r2 + " " + hex_of(0x07, 32) + "\n"
                           "EXPORTER_SECRET " + r2 + " " + hex_of(0x08, 32) + "\n"
                           "ECH_SECRET " + r1 + " " + hex_of(0x09, 32) + "\n"
                           "ECH_CONFIG " + r1 + " " + hex_of(0x0a, 70) + "\n"
                           "SERVER_TRAFFIC_SECRET_0 " + r1 + " " + hex_of(0x0b, 64);  // no final line end
  KeyLog log;
  log.add_text(text);
  EXPECT_EQ(log.counters()[KeyLogCounter::kLines], 11u);
  EXPECT_EQ(log.counters()[KeyLogCounter::kSecrets], 11u);
  EXPECT_EQ(log.counters()[KeyLogCounter::kMalformed], 0u);
  EXPECT_EQ(log.connections(), 2u);

  const auto* a = log.find(random_of(0xa1));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->get(Secret::kMaster), std::vector<std::uint8_t>(48, 0x01));
  EXPECT_EQ(a->get(Secret::kEch), std::vector<std::uint8_t>(32, 0x09));
  EXPECT_EQ(a->get(Secret::kEchConfig), std::vector<std::uint8_t>(70, 0x0a));
  EXPECT_EQ(a->get(Secret::kServerTraffic0), std::vector<std::uint8_t>(64, 0x0b));
  EXPECT_TRUE(a->get(Secret::kClientTraffic0).empty());

  const auto* b = log.find(random_of(0xb2));
  ASSERT_NE(b, nullptr);
  const std::pair<Secret, std::uint8_t> expected[] = {
      {Secret::kClientHandshakeTraffic, 0x02}, {Secret::kServerHandshakeTraffic, 0x03},
      {Secret::kClientTraffic0, 0x04},         {Secret::kServerTraffic0, 0x05},
      {Secret::kClientEarlyTraffic, 0x06},     {Secret::kEarlyExporter, 0x07},
      {Secret::kExporter, 0x08}};
  for (const auto& [s, byte] : expected) {
    ASSERT_FALSE(b->get(s).empty()) << label(s);
    EXPECT_EQ(b->get(s).front(), byte) << label(s);
  }
}

TEST(KeyLog, TakesTheOlderQuicLabelsAsTheTlsOnes) {
  const std::string r = hex_of(0xc3, 32);
  KeyLog log;
  log.add_text("QUIC_CLIENT_HANDSHAKE_TRAFFIC_SECRET " + r + " " + hex_of(0x11, 32) + "\n" +
               "QUIC_SERVER_HANDSHAKE_TRAFFIC_SECRET " + r + " " + hex_of(0x12, 32) + "\n" +
               "QUIC_CLIENT_TRAFFIC_SECRET_0 " + r + " " + hex_of(0x13, 32) + "\n" +
               "QUIC_SERVER_TRAFFIC_SECRET_0 " + r + " " + hex_of(0x14, 32) + "\n" +
               "QUIC_CLIENT_EARLY_TRAFFIC_SECRET " + r + " " + hex_of(0x15, 32) + "\n");
  const auto* s = log.find(random_of(0xc3));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->get(Secret::kClientHandshakeTraffic).front(), 0x11);
  EXPECT_EQ(s->get(Secret::kServerHandshakeTraffic).front(), 0x12);
  EXPECT_EQ(s->get(Secret::kClientTraffic0).front(), 0x13);
  EXPECT_EQ(s->get(Secret::kServerTraffic0).front(), 0x14);
  EXPECT_EQ(s->get(Secret::kClientEarlyTraffic).front(), 0x15);
  EXPECT_EQ(secret_of_label("QUIC_SERVER_TRAFFIC_SECRET_0"), Secret::kServerTraffic0);
  EXPECT_EQ(label(Secret::kServerTraffic0), "SERVER_TRAFFIC_SECRET_0");
}

TEST(KeyLog, SkipsDamagedLinesWithTheirOffsetsAndReadsTheRest) {
  const std::string r = hex_of(0xd4, 32);
  const std::string lines[] = {
      "CLIENT_RANDOM " + r + "\n",                                       // two fields
      "CLIENT_RANDOM " + r + " " + hex_of(0x01, 48) + " extra\n",        // four fields
      "CLIENT_RANDOM " + r.substr(2) + " " + hex_of(0x01, 48) + "\n",    // a short random
      "CLIENT_RANDOM " + r + " " + hex_of(0x01, 47) + "\n",              // a master secret of 47 bytes
      "CLIENT_TRAFFIC_SECRET_0 " + r + " " + hex_of(0x01, 33) + "\n",    // no hash is 33 bytes long
      "CLIENT_TRAFFIC_SECRET_0 " + r + " " + hex_of(0x01, 32) + "0\n",   // an odd digit count
      "CLIENT_TRAFFIC_SECRET_0 " + r + " " + std::string(64, 'g') + "\n",  // not hex
      "ECH_CONFIG " + r + " " + hex_of(0x01, KeyLog::kMaxSecret + 1) + "\n",  // too long
      "SERVER_TRAFFIC_SECRET_0 " + r + " " + hex_of(0x02, 32) + "\n",   // good
  };
  std::string text;
  std::vector<std::uint64_t> offsets;
  for (const auto& l : lines) {
    offsets.push_back(text.size());
    text += l;
  }
  core::Diagnostics diag;
  const std::uint32_t input = diag.add_input("keys.log");
  KeyLog log;
  log.add_text(text, &diag, input, 1000);
  EXPECT_EQ(log.counters()[KeyLogCounter::kMalformed], 8u);
  EXPECT_EQ(log.counters()[KeyLogCounter::kSecrets], 1u);
  ASSERT_EQ(diag.inputs()[input].kept.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(diag.inputs()[input].kept[i].offset, 1000 + offsets[i]) << i;
  const auto* s = log.find(random_of(0xd4));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->get(Secret::kServerTraffic0), std::vector<std::uint8_t>(32, 0x02));
  EXPECT_TRUE(s->get(Secret::kMaster).empty());
}

TEST(KeyLog, CountsUnknownLabelsAndRepeatsAndKeepsTheFirstSecret) {
  const std::string r = hex_of(0xe5, 32);
  KeyLog log;
  log.add_text("RSA 0011223344556677 " + hex_of(0x03, 48) + "\n" +
               "SOME_FUTURE_LABEL " + r + " " + hex_of(0x04, 32) + "\n" +
               "EXPORTER_SECRET " + r + " " + hex_of(0x05, 32) + "\n" +
               "EXPORTER_SECRET " + r + " " + hex_of(0x06, 32) + "\n");
  EXPECT_EQ(log.counters()[KeyLogCounter::kUnknownLabels], 2u);
  EXPECT_EQ(log.counters()[KeyLogCounter::kRepeated], 1u);
  EXPECT_EQ(log.counters()[KeyLogCounter::kMalformed], 0u);
  const auto* s = log.find(random_of(0xe5));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->get(Secret::kExporter).front(), 0x05);
}

TEST(KeyLog, CountsTheConnectionsNothingAskedFor) {
  KeyLog log;
  for (std::uint8_t b : {0x10, 0x20, 0x30})
    log.add_text("CLIENT_RANDOM " + hex_of(b, 32) + " " + hex_of(b, 48) + "\n");
  EXPECT_EQ(log.unused(), 3u);
  EXPECT_NE(log.find(random_of(0x20)), nullptr);
  EXPECT_EQ(log.find(random_of(0x40)), nullptr);
  EXPECT_EQ(log.unused(), 2u);
  EXPECT_EQ(log.connections(), 3u);
}

}  // namespace
}  // namespace tattle::decrypt
