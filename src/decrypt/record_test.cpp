#include "decrypt/record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/hex.hpp"
#include "support/rfc8448.hpp"

#include "decrypt/key_schedule.hpp"

namespace tattle::decrypt {
namespace {

using test_support::hex;

using namespace test_support::rfc8448;

constexpr std::uint8_t kHandshake = 22, kApplicationData = 23, kAlert = 21;

// An opener keyed as RFC 8446 §7.3 keys a direction from its traffic secret.
void key(RecordOpener& opener, std::string_view secret) {
  std::vector<std::uint8_t> k(16);
  std::array<std::uint8_t, 12> iv{};
  ASSERT_TRUE(traffic_key_and_iv(Hash::kSha256, hex(secret), k, iv));
  ASSERT_TRUE(opener.set_keys(Aead::kAes128Gcm, k, iv));
}

struct Plain {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> bytes;
};
std::optional<Plain> open(RecordOpener& opener, std::string_view record_hex) {
  const auto record = hex(record_hex);
  std::vector<std::uint8_t> out(record.size());
  const auto opened = opener.open(record, out);
  if (!opened) return std::nullopt;
  out.resize(opened->size);
  return Plain{opened->content_type, out};
}

std::vector<std::uint8_t> counting(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i);
  return v;
}

// The plaintext of `record`, which must verify and be of `type`.
std::vector<std::uint8_t> opened(RecordOpener& opener, std::string_view record, std::uint8_t type) {
  const auto plain = open(opener, record);
  EXPECT_TRUE(plain);
  if (!plain) return {};
  EXPECT_EQ(plain->type, type);
  return plain->bytes;
}

TEST(RecordOpener, OpensRfc8448ClientRecords) {
  RecordOpener handshake;
  key(handshake, kClientHandshakeSecret);
  const auto finished = opened(handshake, kClientFinished, kHandshake);
  ASSERT_EQ(finished.size(), 4u + 32u);  // Finished: its header and an HMAC-SHA256
  EXPECT_EQ(finished[0], 20);
  EXPECT_EQ(finished[3], 32);

  RecordOpener app;
  key(app, kClientAppSecret);
  EXPECT_EQ(opened(app, kClientAppData, kApplicationData), counting(50));  // the trace's data: 00 01 ... 31
  EXPECT_EQ(opened(app, kClientAlert, kAlert), hex("01 00"));  // close_notify, sequence number 1
  EXPECT_EQ(app.sequence(), 2u);
}

TEST(RecordOpener, OpensRfc8448ServerRecordsInSequence) {
  RecordOpener app;
  key(app, kServerAppSecret);
  const auto ticket = opened(app, kServerTicket, kHandshake);
  ASSERT_FALSE(ticket.empty());
  EXPECT_EQ(ticket[0], 4);  // NewSessionTicket
  EXPECT_EQ(opened(app, kServerAppData, kApplicationData), counting(50));
  EXPECT_EQ(opened(app, kServerAlert, kAlert), hex("01 00"));
}

TEST(RecordOpener, RefusesARecordWhoseTagOrSequenceIsWrong) {
  RecordOpener app;
  key(app, kServerAppSecret);
  // The application data first: sent as number 1, opened as number 0, it does not verify.
  EXPECT_FALSE(open(app, kServerAppData));
  auto tampered = std::string(kServerTicket);
  tampered[tampered.size() - 1] = tampered.back() == '0' ? '1' : '0';  // the tag's last digit
  RecordOpener fresh;
  key(fresh, kServerAppSecret);
  EXPECT_FALSE(open(fresh, tampered));
  EXPECT_EQ(fresh.sequence(), 1u);  // counted as sent all the same
  EXPECT_TRUE(open(fresh, kServerAppData));

  std::vector<std::uint8_t> out(64);
  EXPECT_FALSE(fresh.open(hex("17 03 03 00 10 00 01 02"), out));  // shorter than a tag
  EXPECT_EQ(fresh.sequence(), 3u);
  RecordOpener unkeyed;
  EXPECT_FALSE(unkeyed.open(hex(kClientAlert), out));
  EXPECT_FALSE(unkeyed.set_keys(Aead::kAes256Gcm, std::vector<std::uint8_t>(16), std::array<std::uint8_t, 12>{}));
}

TEST(RecordOpener, KnowsTheTls13Suites) {
  EXPECT_EQ(tls13_aead(0x1301), Aead::kAes128Gcm);
  EXPECT_EQ(tls13_aead(0x1302), Aead::kAes256Gcm);
  EXPECT_EQ(tls13_aead(0x1303), Aead::kChaCha20Poly1305);
  EXPECT_EQ(tls13_aead(0x1304), std::nullopt);  // TLS_AES_128_CCM_SHA256: not read (yet)
  EXPECT_EQ(key_size(Aead::kChaCha20Poly1305), 32u);
}

}  // namespace
}  // namespace tattle::decrypt
