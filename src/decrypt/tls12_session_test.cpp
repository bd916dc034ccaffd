// Tls12Session's own paths. That it decrypts real connections is checked against tshark on the
// project's sample and the corpus (tests/trace/keylog_test.py): no published TLS 1.2 trace gives
// record-level vectors.
#include "decrypt/tls12_session.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "support/hex.hpp"

namespace tattle::decrypt {
namespace {

using test_support::hex;

const std::vector<std::uint8_t> kMaster(48, 7), kClientRandom(32, 1), kServerRandom(32, 2);

TEST(Tls12Session, ReadsTheHandshakeInTheClearThenNeedsEveryRecordToVerify) {
  Tls12Session session;
  ASSERT_EQ(session.start(0x0303, 0xC02F, false, kMaster, kClientRandom, kServerRandom), Tls12Session::Start::kStarted);
  const auto none = [](core::Bytes) { FAIL() << "no application data here"; };
  using R = TlsSession::Result;
  EXPECT_EQ(session.on_record(true, hex("16 03 03 00 02 10 00"), none), R::kSkipped);  // ClientKeyExchange
  EXPECT_EQ(session.on_record(true, hex("14 03 03 00 01 01"), none), R::kSkipped);     // CCS: encryption on
  // A Finished that does not verify under these keys: the client's side is spoilt from here.
  std::vector<std::uint8_t> record = hex("16 03 03 00 28");
  record.resize(5 + 40, 0x5a);
  EXPECT_EQ(session.on_record(true, record, none), R::kFailed);
  EXPECT_EQ(session.on_record(true, hex("17 03 03 00 01 00"), none), R::kFailed);
  // The server's side is its own: still in the clear.
  EXPECT_EQ(session.on_record(false, hex("16 03 03 00 04 0e 00 00 00"), none), R::kSkipped);  // ServerHelloDone
  EXPECT_EQ(session.records_opened(), 0u);
}

TEST(Tls12Session, ReadsTheAeadAndAesCbcSuitesOfEachVersion) {
  using S = Tls12Session::Start;
  Tls12Session session;
  const auto start = [&](std::uint16_t version, std::uint16_t suite) {
    return session.start(version, suite, false, kMaster, kClientRandom, kServerRandom);
  };
  EXPECT_EQ(start(0x0303, 0xC02F), S::kStarted);  // ECDHE-RSA-AES128-GCM-SHA256
  EXPECT_EQ(start(0x0303, 0xC030), S::kStarted);  // ECDHE-RSA-AES256-GCM-SHA384
  EXPECT_EQ(start(0x0303, 0xCCA8), S::kStarted);  // ECDHE-RSA-CHACHA20-POLY1305
  EXPECT_EQ(start(0x0303, 0x002F), S::kStarted);  // AES128-SHA
  EXPECT_EQ(start(0x0303, 0xC028), S::kStarted);  // ECDHE-RSA-AES256-SHA384
  EXPECT_EQ(start(0x0301, 0x002F), S::kStarted);  // TLS 1.0
  EXPECT_EQ(start(0x0302, 0xC014), S::kStarted);  // TLS 1.1
  EXPECT_EQ(start(0x0303, 0xC09C), S::kStarted);  // AES128-CCM
  EXPECT_EQ(start(0x0303, 0xC0AE), S::kStarted);  // ECDHE-ECDSA-AES128-CCM8
  EXPECT_EQ(start(0x0303, 0x0005), S::kUnsupportedSuite);  // RC4-SHA
  EXPECT_EQ(start(0x0301, 0xC02F), S::kUnsupportedSuite);  // GCM is TLS 1.2's
  EXPECT_EQ(start(0x0302, 0x003C), S::kUnsupportedSuite);  // SHA-256 MACs too
  EXPECT_EQ(session.start(0x0303, 0xC02F, false, std::vector<std::uint8_t>(47), kClientRandom, kServerRandom),
            S::kFailed);
}

}  // namespace
}  // namespace tattle::decrypt
