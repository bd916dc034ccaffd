#include "decrypt/key_schedule.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/hex.hpp"

namespace tattle::decrypt {
namespace {

using test_support::hex;

using Secret = std::vector<std::uint8_t>;

Secret derive(Hash hash, const Secret& secret, std::string_view label, const Secret& transcript_hash) {
  Secret out(hash_size(hash));
  EXPECT_TRUE(derive_secret(hash, secret, label, transcript_hash, out)) << label;
  return out;
}

Secret extract(Hash hash, const Secret& salt, const Secret& ikm) {
  Secret out(hash_size(hash));
  EXPECT_TRUE(hkdf_extract(hash, salt, ikm, out));
  return out;
}

// RFC 8448 §3, "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256): every secret of the schedule
// from the ECDHE shared secret and the transcript hashes the trace shows, and the traffic keys.
TEST(KeySchedule, Rfc8448SimpleHandshake) {
  const Hash s = Hash::kSha256;
  const Secret zeros(32, 0);
  const Secret empty_hash = hex("e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55");
  const Secret early = extract(s, {0}, zeros);
  EXPECT_EQ(early, hex("33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a"));
  const Secret derived_early = derive(s, early, "derived", empty_hash);
  EXPECT_EQ(derived_early, hex("6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba"));
  const Secret handshake = extract(s, derived_early, hex("8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d"));
  EXPECT_EQ(handshake, hex("1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac"));

  const Secret hello_hash = hex("86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8");
  const Secret derived_hs = derive(s, handshake, "derived", empty_hash);
  EXPECT_EQ(derived_hs, hex("43 de 77 e0 c7 77 13 85 9a 94 4d b9 db 25 90 b5 31 90 a6 5b 3e e2 e4 f1 2d d7 a0 bb 7c e2 54 b4"));
  const Secret master = extract(s, derived_hs, zeros);
  EXPECT_EQ(master, hex("18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19"));
  const Secret finished_hash = hex("96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13");

  // The secrets a key log carries, from the handshake and master secrets.
  struct Step {
    const Secret& from;
    std::string_view label;
    const Secret& transcript_hash;
    std::string_view expected;
  };
  const Step steps[] = {
      {handshake, "c hs traffic", hello_hash, "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21"},
      {handshake, "s hs traffic", hello_hash, "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38"},
      {master, "c ap traffic", finished_hash, "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5"},
      {master, "s ap traffic", finished_hash, "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43"},
      {master, "exp master", finished_hash, "fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50"},
  };
  for (const auto& step : steps) EXPECT_EQ(derive(s, step.from, step.label, step.transcript_hash), hex(step.expected)) << step.label;
  const Secret c_hs = hex(steps[0].expected), s_hs = hex(steps[1].expected), s_ap = hex(steps[3].expected);

  const auto key_iv = [&](const Secret& traffic) {
    Secret key(16);
    std::array<std::uint8_t, 12> iv{};
    EXPECT_TRUE(traffic_key_and_iv(s, traffic, key, iv));
    return std::pair{key, Secret(iv.begin(), iv.end())};
  };
  EXPECT_EQ(key_iv(s_hs), std::pair(hex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"), hex("5d 31 3e b2 67 12 76 ee 13 00 0b 30")));
  EXPECT_EQ(key_iv(c_hs), std::pair(hex("db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01"), hex("5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f")));
  EXPECT_EQ(key_iv(s_ap), std::pair(hex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"), hex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84")));
}

// SHA-384 (TLS_AES_256_GCM_SHA384), which RFC 8448 has no trace of: against values computed
// with Python's hmac module from RFC 5869's definition and RFC 8446's HkdfLabel.
TEST(KeySchedule, Sha384AgainstAnIndependentHkdf) {
  const Hash s = Hash::kSha384;
  Secret salt(48), ikm(22, 0x0b), context(48);
  for (std::size_t i = 0; i < 48; ++i) {
    salt[i] = static_cast<std::uint8_t>(i);
    context[i] = static_cast<std::uint8_t>(48 + i);
  }
  const Secret prk = extract(s, salt, ikm);
  EXPECT_EQ(prk, hex("5561429e7d06844a9ccb47edc7e5c47434b6dfed96b868754945266aded8eb71549d24eaa4de558152bb792ca34c443f"));
  EXPECT_EQ(derive(s, prk, "c hs traffic", context),
            hex("7abdb1e9630c16637bca395fa58eb075ddcc6b09f4504dffa150d164400f401f819bf271a86b389a4b85f0aab235a1ea"));
  Secret key(32);
  std::array<std::uint8_t, 12> iv{};
  ASSERT_TRUE(traffic_key_and_iv(s, prk, key, iv));
  EXPECT_EQ(key, hex("48c97102c03158f0be0bd76074eb5df0f032a2d5d8ef0dc7f17b4365fe6c88fe"));
  EXPECT_EQ(Secret(iv.begin(), iv.end()), hex("3df5aad657e409ceb1959d3d"));
  Secret next(48);
  ASSERT_TRUE(next_traffic_secret(s, prk, next));
  EXPECT_EQ(next, hex("43549bda84a6a397d28c67fd8501ce1d31ed4456e2a46b377bd548c5d5057ce1c4159dca3e7f72b2610219deb1011365"));
}

// The TLS PRFs, as key blocks are made: against P_SHA256, P_SHA384 and TLS 1.0's P_MD5 XOR P_SHA1
// computed with Python's hmac module from RFC 5246 §5's and RFC 2246 §5's definitions.
TEST(KeySchedule, Tls12PrfAgainstAnIndependentImplementation) {
  std::vector<std::uint8_t> secret(48), seed(64);
  for (std::size_t i = 0; i < 48; ++i) secret[i] = static_cast<std::uint8_t>(i);
  for (std::size_t i = 0; i < 64; ++i) seed[i] = static_cast<std::uint8_t>(100 + i);
  std::vector<std::uint8_t> out(72);
  ASSERT_TRUE(tls_prf(Hash::kSha256, false, secret, "key expansion", seed, out));
  EXPECT_EQ(out, hex("28685edb204ecc92242de5440cbbaab263b26917badda780ffac162c8d5a190db504e2223d7549b8deb0af27d736ac56"
                     "66527337fcb51c0d659d1398611083cae380cb76348f8fb5"));
  ASSERT_TRUE(tls_prf(Hash::kSha384, false, secret, "key expansion", seed, out));
  EXPECT_EQ(out, hex("1ef6cb01527c4d5a83d5dc42afa62a9c27b940128ab240da3008c18b191d6cb911854353158b4b09047f65222a9e79e2"
                     "a9484d3fc2388fcec5cd7a5cf1323e93599425a430ec6306"));
  // TLS 1.0 and 1.1 (RFC 2246 §5): P_MD5 over the secret's first half XOR P_SHA-1 over its second.
  ASSERT_TRUE(tls_prf(Hash::kSha256, true, secret, "key expansion", seed, out));
  EXPECT_EQ(out, hex("7c2a8c1e1e7756ec8bc5c0448a030fe12d127c89b9eb1e0718f45abbfa9de22ebcadc4b01bdecddbdc4a2db401ed4418"
                     "3c73e1d5eab2fd9c329d090d3f0d9a574c1c0a05f4d02739"));
}

TEST(KeySchedule, RefusesSizesTheEncodingCannotCarry) {
  const Secret secret(32, 1);
  Secret out(32);
  EXPECT_FALSE(hkdf_expand_label(Hash::kSha256, secret, std::string(250, 'a'), {}, out));  // label > 255 with "tls13 "
  EXPECT_FALSE(hkdf_expand_label(Hash::kSha256, secret, "key", Secret(256, 0), out));      // context > 255
  Secret wrong(31);
  EXPECT_FALSE(derive_secret(Hash::kSha256, secret, "derived", {}, wrong));
  EXPECT_FALSE(hkdf_extract(Hash::kSha384, {}, secret, out));  // SHA-384 gives 48 bytes
}

}  // namespace
}  // namespace tattle::decrypt
