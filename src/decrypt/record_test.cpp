#include "decrypt/record.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>

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
  EXPECT_EQ(tls13_aead(0x1304), Aead::kAes128Ccm);
  EXPECT_EQ(tls13_aead(0x1305), Aead::kAes128Ccm8);
  EXPECT_EQ(tls13_aead(0x1306), std::nullopt);
  EXPECT_EQ(key_size(Aead::kChaCha20Poly1305), 32u);
  EXPECT_EQ(tag_size(Aead::kAes128Ccm8), 8u);
}

// TLS 1.3 records sealed here with OpenSSL's AES-128-CCM used forwards (RFC 8446 §5.2's framing:
// the header as additional data, the content type after the content), with 16- and 8-byte tags.
std::vector<std::uint8_t> seal_ccm(const std::vector<std::uint8_t>& key, const std::array<std::uint8_t, 12>& nonce,
                                   std::size_t tag, const std::string& inner) {
  const std::size_t length = inner.size() + tag;
  std::vector<std::uint8_t> record = {23, 3, 3, static_cast<std::uint8_t>(length >> 8),
                                      static_cast<std::uint8_t>(length)};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex2(ctx, EVP_aes_128_ccm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag), nullptr);
  EVP_EncryptInit_ex2(ctx, nullptr, key.data(), nonce.data(), nullptr);
  EVP_EncryptUpdate(ctx, nullptr, &n, nullptr, static_cast<int>(inner.size()));
  EVP_EncryptUpdate(ctx, nullptr, &n, record.data(), 5);
  std::vector<std::uint8_t> body(inner.size() + tag);
  EVP_EncryptUpdate(ctx, body.data(), &n, reinterpret_cast<const std::uint8_t*>(inner.data()),
                    static_cast<int>(inner.size()));
  EVP_EncryptFinal_ex(ctx, body.data() + n, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag), body.data() + inner.size());
  EVP_CIPHER_CTX_free(ctx);
  record.insert(record.end(), body.begin(), body.end());
  return record;
}

TEST(RecordOpener, OpensAesCcmRecordsWithEitherTag) {
  const std::vector<std::uint8_t> key(16, 0x42);
  std::array<std::uint8_t, 12> iv{};
  iv.fill(0x24);
  for (const Aead aead : {Aead::kAes128Ccm, Aead::kAes128Ccm8}) {
    RecordOpener opener;
    ASSERT_TRUE(opener.set_keys(aead, key, iv));
    for (std::uint64_t seq = 0; seq < 3; ++seq) {
      const std::string text = "GET /?n=" + std::to_string(seq) + " HTTP/1.1\r\n\r\n";
      auto record = seal_ccm(key, record_nonce(iv, seq), tag_size(aead), text + '\x17' + std::string(3, '\0'));
      if (seq == 2) record.back() ^= 1;  // a tag that does not verify
      std::vector<std::uint8_t> out(record.size());
      const auto opened = opener.open(record, out);
      if (seq == 2) {
        EXPECT_FALSE(opened);
        continue;
      }
      ASSERT_TRUE(opened) << static_cast<int>(aead) << " record " << seq;
      EXPECT_EQ(opened->content_type, 23);
      EXPECT_EQ(std::string(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(opened->size)), text);
    }
  }
}

}  // namespace
}  // namespace tattle::decrypt
