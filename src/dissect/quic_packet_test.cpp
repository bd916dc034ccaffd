// QUIC packet protection past the Initials against RFC 9001 Appendix A.5 (a ChaCha20-Poly1305
// short-header packet), and the frame reader on payloads built here from RFC 9000 §19's layouts.
#include "dissect/quic_packet.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/hex.hpp"

namespace tattle::dissect {
namespace {

using test_support::hex;

TEST(QuicPacketKeys, OpensRfc9001sChaChaShortHeaderPacket) {
  QuicPacketKeys keys;
  ASSERT_TRUE(keys.derive(0x00000001, decrypt::Hash::kSha256, decrypt::Aead::kChaCha20Poly1305,
                          hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b")));
  const auto packet = hex("4cfe4189655e5cd55c41f69080575d7999c25a5bfb");
  std::vector<std::uint8_t> header, payload;
  std::uint64_t pn = 0;
  bool phase = true;
  // No Destination Connection ID: the packet number follows the first byte.
  ASSERT_TRUE(keys.open(packet, 1, false, 654360564, header, payload, pn, phase));
  EXPECT_EQ(header, hex("4200bff4"));
  EXPECT_EQ(payload, hex("01"));  // a PING
  EXPECT_EQ(pn, 654360564u);
  EXPECT_FALSE(phase);
  // The next key phase's keys (RFC 9001 §6) do not open it; a flipped byte does not verify.
  QuicPacketKeys next;
  ASSERT_TRUE(keys.next(next));
  EXPECT_FALSE(next.open(packet, 1, false, 654360564, header, payload, pn, phase));
  auto damaged = packet;
  damaged.back() ^= 1;
  EXPECT_FALSE(keys.open(damaged, 1, false, 654360564, header, payload, pn, phase));
  // Too short to sample.
  EXPECT_FALSE(keys.open(hex("4cfe41"), 1, false, 0, header, payload, pn, phase));
}

struct Seen final : QuicFrameSink {
  bool on_crypto(std::uint64_t offset, core::Bytes data) override {
    crypto.emplace_back(offset, std::string(data.begin(), data.end()));
    return true;
  }
  void on_stream(std::uint64_t id, std::uint64_t offset, core::Bytes data, bool fin) override {
    streams.push_back({id, offset, std::string(data.begin(), data.end()), fin});
  }
  void on_reset(std::uint64_t id) override { resets.push_back(id); }
  struct Stream {
    std::uint64_t id, offset;
    std::string data;
    bool fin;
    bool operator==(const Stream&) const = default;
  };
  std::vector<std::pair<std::uint64_t, std::string>> crypto;
  std::vector<Stream> streams;
  std::vector<std::uint64_t> resets;
};

TEST(QuicFrames, ReadsEveryFrameItKnows) {
  const auto payload = hex(
      "00 00"                          // PADDING
      "02 4010 05 01 02 03 04"         // ACK: largest 16, delay 5, one range more, first 2, gap 3, length 4
      "06 00 03 616263"                // CRYPTO at 0: "abc"
      "0e 04 4064 02 6869"             // STREAM with OFF and LEN: stream 4, offset 100, "hi"
      "18 01 00 04 01020304" "00112233445566778899aabbccddeeff"  // NEW_CONNECTION_ID
      "04 08 00 05"                    // RESET_STREAM of stream 8
      "1a 0102030405060708"            // PATH_CHALLENGE
      "1d 00 02 6f6b"                  // CONNECTION_CLOSE (application), reason "ok"
      "09 00 656e64");                 // STREAM with FIN, no OFF, no LEN: stream 0, "end" to the packet's end
  Seen seen;
  ASSERT_TRUE(read_quic_frames(payload, seen));
  EXPECT_EQ(seen.crypto, (std::vector<std::pair<std::uint64_t, std::string>>{{0, "abc"}}));
  EXPECT_EQ(seen.streams, (std::vector<Seen::Stream>{{4, 100, "hi", false}, {0, 0, "end", true}}));
  EXPECT_EQ(seen.resets, std::vector<std::uint64_t>{8});
}

TEST(QuicFrames, StopsAtAFrameItDoesNotKnowOrThatBreaksOff) {
  Seen seen;
  EXPECT_FALSE(read_quic_frames(hex("0a 04 02 6869 40"), seen));  // a type 0x40 frame: unknown
  EXPECT_EQ(seen.streams.size(), 1u);                              // what came before it was read
  EXPECT_FALSE(read_quic_frames(hex("0a 04 05 6869"), seen));      // a length past the end
  EXPECT_FALSE(read_quic_frames(hex("18 01 00 15"), seen));        // a connection ID of 21 bytes
}

}  // namespace
}  // namespace tattle::dissect
