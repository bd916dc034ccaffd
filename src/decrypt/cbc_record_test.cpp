// CbcOpener against records sealed here as RFC 5246 §6.2.3.2 (and RFC 2246's chained IV, RFC
// 7366's encrypt-then-MAC) say, with OpenSSL's AES-CBC and HMAC used forwards. That it reads real
// connections is checked against tshark on the corpus (tests/trace/keylog_test.py).
#include "decrypt/cbc_record.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <string>
#include <vector>

namespace tattle::decrypt {
namespace {

using Buffer = std::vector<std::uint8_t>;

Buffer hmac(const char* digest, const Buffer& key, const Buffer& data) {
  Buffer out(EVP_MAX_MD_SIZE);
  std::size_t n = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(), data.data(), data.size(), out.data(),
            out.size(), &n);
  out.resize(n);
  return out;
}

Buffer aes_cbc(const Buffer& key, const Buffer& iv, const Buffer& plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, key.size() == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(), nullptr, key.data(), iv.data());
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  Buffer out(plain.size());
  int n = 0;
  EVP_EncryptUpdate(ctx, out.data(), &n, plain.data(), static_cast<int>(plain.size()));
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

Buffer header(std::uint8_t type, std::size_t length) {
  return {type, 3, 3, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
}

Buffer pseudo_header(std::uint64_t seq, std::uint8_t type, std::size_t length) {
  Buffer b;
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(seq >> (8 * i)));
  const Buffer h = header(type, length);  // type, version, length
  b.insert(b.end(), h.begin(), h.end());
  return b;
}

Buffer cat(Buffer a, const Buffer& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Padding to the block size: n + 1 bytes of the value n (RFC 5246 §6.2.3.2).
Buffer pad(Buffer b) {
  const std::size_t n = (16 - (b.size() + 1) % 16) % 16;
  b.insert(b.end(), n + 1, static_cast<std::uint8_t>(n));
  return b;
}

const Buffer kKey(16, 0x11), kMacKey(20, 0x22), kIv(16, 0x33);
const std::string kText = "GET /track?uid=42 HTTP/1.1\r\nHost: t.example\r\n\r\n";

// MAC then encrypt, TLS 1.1+: IV | E(content | MAC | padding).
Buffer seal_mte(std::uint64_t seq, const Buffer& iv, const Buffer& content) {
  const Buffer mac = hmac("SHA1", kMacKey, cat(pseudo_header(seq, 23, content.size()), content));
  const Buffer sealed = aes_cbc(kKey, iv, pad(cat(content, mac)));
  return cat(header(23, 16 + sealed.size()), cat(iv, sealed));
}

std::string open_text(CbcOpener& o, std::uint64_t seq, const Buffer& record) {
  Buffer out(record.size());
  const auto n = o.open(seq, record, out);
  return n ? std::string(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)) : "(failed)";
}

TEST(CbcOpener, OpensMacThenEncryptRecordsWithTheirOwnIv) {
  CbcOpener o;
  ASSERT_TRUE(o.set_keys(kKey, MacHash::kSha1, kMacKey, {}, false));
  const Buffer content(kText.begin(), kText.end());
  EXPECT_EQ(open_text(o, 0, seal_mte(0, kIv, content)), kText);
  EXPECT_EQ(open_text(o, 1, seal_mte(1, Buffer(16, 0x44), content)), kText);
  // The wrong sequence number, a flipped bit: the MAC says no.
  EXPECT_EQ(open_text(o, 5, seal_mte(2, kIv, content)), "(failed)");
  Buffer flipped = seal_mte(3, kIv, content);
  flipped[30] ^= 1;
  EXPECT_EQ(open_text(o, 3, flipped), "(failed)");
  // Not a whole number of blocks.
  Buffer cut = seal_mte(4, kIv, content);
  cut.pop_back();
  EXPECT_EQ(open_text(o, 4, cut), "(failed)");
}

TEST(CbcOpener, ChainsTls10IvsAndChecksEncryptThenMac) {
  const Buffer content(kText.begin(), kText.end());
  // TLS 1.0: the first IV from the key block, each next one the last ciphertext block.
  CbcOpener o;
  ASSERT_TRUE(o.set_keys(kKey, MacHash::kSha1, kMacKey, kIv, false));
  Buffer iv = kIv;
  for (std::uint64_t seq = 0; seq < 3; ++seq) {
    const Buffer mac = hmac("SHA1", kMacKey, cat(pseudo_header(seq, 23, content.size()), content));
    const Buffer sealed = aes_cbc(kKey, iv, pad(cat(content, mac)));
    iv.assign(sealed.end() - 16, sealed.end());
    EXPECT_EQ(open_text(o, seq, cat(header(23, sealed.size()), sealed)), kText) << seq;
  }
  // Encrypt then MAC: IV | E(content | padding) | MAC over the header and what precedes it.
  CbcOpener e;
  ASSERT_TRUE(e.set_keys(kKey, MacHash::kSha1, kMacKey, {}, true));
  const Buffer sent = cat(kIv, aes_cbc(kKey, kIv, pad(content)));
  const Buffer mac = hmac("SHA1", kMacKey, cat(pseudo_header(7, 23, sent.size()), sent));
  EXPECT_EQ(open_text(e, 7, cat(header(23, sent.size() + mac.size()), cat(sent, mac))), kText);
  EXPECT_EQ(open_text(e, 8, cat(header(23, sent.size() + mac.size()), cat(sent, mac))), "(failed)");
  Buffer bad_mac = mac;
  bad_mac.back() ^= 1;
  EXPECT_EQ(open_text(e, 7, cat(header(23, sent.size() + mac.size()), cat(sent, bad_mac))), "(failed)");
}

TEST(CbcOpener, RefusesKeysOfTheWrongSize) {
  CbcOpener o;
  EXPECT_FALSE(o.set_keys(Buffer(24, 1), MacHash::kSha1, kMacKey, {}, false));
  EXPECT_FALSE(o.set_keys(kKey, MacHash::kSha256, kMacKey, {}, false));
  EXPECT_FALSE(o.set_keys(kKey, MacHash::kSha1, kMacKey, Buffer(8, 1), false));
  Buffer out(64);
  EXPECT_FALSE(o.open(0, Buffer(37, 0), out));  // never keyed
}

}  // namespace
}  // namespace tattle::decrypt
