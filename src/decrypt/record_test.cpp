#include "decrypt/record.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/hex.hpp"

#include "decrypt/key_schedule.hpp"

namespace tattle::decrypt {
namespace {

using testing::hex;

// RFC 8448 §3: the traffic secrets of the simple 1-RTT handshake, and records sent under them.
const std::string_view kClientHandshakeSecret = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21";
const std::string_view kClientAppSecret = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";
const std::string_view kServerAppSecret = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";

const std::string_view kClientFinished =
    "17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 "
    "ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46";
const std::string_view kClientAppData =
    "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b "
    "39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4";
const std::string_view kClientAlert = "17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3";
const std::string_view kServerTicket =
    "17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24 0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc "
    "f3 d1 1d 63 c7 58 db 28 9a 01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1 70 ad 3c 73 53 d1 "
    "6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0 9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 "
    "06 46 15 13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77 f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 "
    "23 2c 86 51 9d 86 cb ee ac 87 aa c3 47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74 bc 26 97 "
    "68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b 3b 6c 67 79 b3 7b f1 59 85 68 4f";
const std::string_view kServerAppData =
    "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 "
    "df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d";
const std::string_view kServerAlert = "17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9";

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
