#include "decrypt/tls13_session.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/hex.hpp"
#include "support/rfc8448.hpp"

namespace tattle::decrypt {
namespace {

using test_support::hex;
using namespace test_support::rfc8448;

KeyLog::Secrets rfc8448_secrets() {
  KeyLog::Secrets s;
  s.of[static_cast<std::size_t>(Secret::kClientHandshakeTraffic)] = hex(kClientHandshakeSecret);
  s.of[static_cast<std::size_t>(Secret::kServerHandshakeTraffic)] = hex(kServerHandshakeSecret);
  s.of[static_cast<std::size_t>(Secret::kClientTraffic0)] = hex(kClientAppSecret);
  s.of[static_cast<std::size_t>(Secret::kServerTraffic0)] = hex(kServerAppSecret);
  return s;
}

struct Fed {
  std::vector<Tls13Session::Result> results;
  std::vector<std::uint8_t> app_data;
};
Fed feed(Tls13Session& session, bool from_client, std::initializer_list<std::string_view> records) {
  Fed fed;
  for (const auto r : records) {
    const auto bytes = hex(r);
    fed.results.push_back(session.on_record(from_client, bytes, [&](core::Bytes b) {
      fed.app_data.insert(fed.app_data.end(), b.begin(), b.end());
    }));
  }
  return fed;
}

std::vector<std::uint8_t> counting(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i);
  return v;
}

constexpr auto kOpened = Tls13Session::Result::kOpened;
constexpr auto kSkipped = Tls13Session::Result::kSkipped;
constexpr auto kFailed = Tls13Session::Result::kFailed;

// RFC 8448 §3 from its key log's four secrets: each side moves from its handshake keys to its
// application keys at its own Finished, found inside the decrypted handshake messages.
TEST(Tls13Session, FollowsRfc8448FromHandshakeToApplicationKeys) {
  Tls13Session session;
  ASSERT_EQ(session.start(0x1301, rfc8448_secrets()), Tls13Session::Start::kStarted);
  const Fed server = feed(session, false, {kServerFlight, kServerTicket, kServerAppData, kServerAlert});
  EXPECT_EQ(server.results, (std::vector{kOpened, kOpened, kOpened, kOpened}));
  EXPECT_EQ(server.app_data, counting(50));
  const Fed client = feed(session, true, {"14 03 03 00 01 01", kClientFinished, kClientAppData, kClientAlert});
  EXPECT_EQ(client.results, (std::vector{kSkipped, kOpened, kOpened, kOpened}));
  EXPECT_EQ(client.app_data, counting(50));
  EXPECT_EQ(session.records_opened(), 7u);
}

TEST(Tls13Session, ASpoiltRecordSpoilsItsDirectionOnly) {
  Tls13Session session;
  ASSERT_EQ(session.start(0x1301, rfc8448_secrets()), Tls13Session::Start::kStarted);
  // The server's ticket before its flight: under the handshake keys it cannot verify.
  const Fed server = feed(session, false, {kServerTicket, kServerFlight});
  EXPECT_EQ(server.results, (std::vector{kFailed, kFailed}));
  const Fed client = feed(session, true, {kClientFinished, kClientAppData});
  EXPECT_EQ(client.results, (std::vector{kOpened, kOpened}));
  // A plaintext handshake record where only protected ones belong.
  Tls13Session other;
  ASSERT_EQ(other.start(0x1301, rfc8448_secrets()), Tls13Session::Start::kStarted);
  EXPECT_EQ(feed(other, true, {"16 03 03 00 01 00", kClientFinished}).results, (std::vector{kFailed, kFailed}));
}

TEST(Tls13Session, NeedsASuiteItReadsAndAllFourSecrets) {
  Tls13Session session;
  EXPECT_EQ(session.start(0x1306, rfc8448_secrets()), Tls13Session::Start::kUnsupportedSuite);  // no such suite
  auto partial = rfc8448_secrets();
  partial.of[static_cast<std::size_t>(Secret::kServerTraffic0)].clear();
  EXPECT_EQ(session.start(0x1301, partial), Tls13Session::Start::kMissingSecrets);
  // SHA-384 suites need 48-byte secrets: RFC 8448's are SHA-256's.
  EXPECT_EQ(session.start(0x1302, rfc8448_secrets()), Tls13Session::Start::kMissingSecrets);
}

}  // namespace
}  // namespace tattle::decrypt
