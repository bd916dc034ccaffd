#include "dissect/quic.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decode/packet.hpp"
#include "flow/flow_record.hpp"
#include "support/hex.hpp"

namespace tattle::dissect {
namespace {

using Bytes = std::vector<std::uint8_t>;

using test_support::hex;

template <std::size_t N>
Bytes bytes(const std::array<std::uint8_t, N>& a) {
  return Bytes(a.begin(), a.end());
}

// RFC 9001 Appendix A.2 and RFC 9369 Appendix A.2, as printed there: the client's first
// Initial packet (Destination Connection ID 8394c8f03e515708, packet number 2), and the CRYPTO
// frame in it, before the PADDING that fills its payload to 1162 bytes. Both versions carry
// the same frames.
constexpr std::string_view kV1ClientInitial =
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934";
constexpr std::string_view kV2ClientInitial =
    "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
    "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
    "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
    "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
    "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
    "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
    "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
    "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
    "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
    "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
    "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
    "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
    "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
    "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
    "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
    "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
    "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
    "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
    "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
    "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
    "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
    "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
    "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
    "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
    "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
    "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
    "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
    "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
    "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
    "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
    "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
    "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
    "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
    "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
    "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
    "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
    "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
    "a18b2faa745b6fe189cf772a9f84cbfc";
constexpr std::string_view kCryptoFrame =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

const Bytes kRfcDcid = hex("8394c8f03e515708");

TEST(QuicInitialKeys, Rfc9001AppendixA1) {
  QuicInitialKeys k;
  ASSERT_TRUE(derive_client_initial_keys(kQuicV1, kRfcDcid, k));
  EXPECT_EQ(bytes(k.key), hex("1f369613dd76d5467730efcbe3b1a22d"));
  EXPECT_EQ(bytes(k.iv), hex("fa044b2f42a3fd3b46fb255c"));
  EXPECT_EQ(bytes(k.hp), hex("9f50449e04a0e810283a1e9933adedd2"));
}

TEST(QuicInitialKeys, Rfc9369AppendixA1) {
  QuicInitialKeys k;
  ASSERT_TRUE(derive_client_initial_keys(kQuicV2, kRfcDcid, k));
  EXPECT_EQ(bytes(k.key), hex("8b1a0bc121284290a29e0971b5cd045d"));
  EXPECT_EQ(bytes(k.iv), hex("91f73e2351d8fa91660e909f"));
  EXPECT_EQ(bytes(k.hp), hex("45b95e15235d6f45a6b19cbcb0294ba9"));
  EXPECT_FALSE(derive_client_initial_keys(0xff000016, kRfcDcid, k));  // draft-22: not read
  EXPECT_FALSE(derive_client_initial_keys(0x1a2a3a4a, kRfcDcid, k));  // a reserved version
}

// draft-ietf-quic-tls-29 Appendix A.1: the same connection ID, the draft's salt and v1's labels.
TEST(QuicInitialKeys, Draft29AppendixA1) {
  QuicInitialKeys k;
  ASSERT_TRUE(derive_client_initial_keys(0xff00001d, kRfcDcid, k));
  EXPECT_EQ(bytes(k.key), hex("175257a31eb09dea9366d8bb79ad80ba"));
  EXPECT_EQ(bytes(k.iv), hex("6b26114b9cba2b63a9e8dd4f"));
  EXPECT_EQ(bytes(k.hp), hex("9ddd12c994c0698b89374a9c077a3077"));
  EXPECT_TRUE(quic_version_read(0xff000020));  // draft-32 shares its salt
}

// The packet as printed opens to the printed header and frames.
void expect_opens(std::uint32_t version, std::string_view packet, std::string_view header) {
  const Bytes datagram = hex(packet);
  ASSERT_EQ(datagram.size(), 1200u);
  EXPECT_TRUE(starts_quic_first_flight(datagram));
  QuicLongHeader h;
  ASSERT_TRUE(read_long_header(datagram, h));
  EXPECT_EQ(h.version, version);
  EXPECT_EQ(h.type, QuicPacketType::kInitial);
  EXPECT_EQ(Bytes(h.dcid.begin(), h.dcid.end()), kRfcDcid);
  EXPECT_TRUE(h.scid.empty());
  EXPECT_TRUE(h.token.empty());
  EXPECT_EQ(h.pn_offset, 18u);
  EXPECT_EQ(h.packet.size(), datagram.size());

  QuicInitialKeys keys;
  ASSERT_TRUE(derive_client_initial_keys(version, h.dcid, keys));
  QuicOpenedPacket opened;
  ASSERT_TRUE(open_initial(h, keys, 0, opened));
  EXPECT_EQ(opened.packet_number, 2u);
  EXPECT_EQ(opened.header, hex(header));
  Bytes expected = hex(kCryptoFrame);
  expected.resize(1162, 0x00);  // PADDING
  EXPECT_EQ(opened.payload, expected);
}

TEST(QuicOpenInitial, Rfc9001AppendixA2) {
  expect_opens(kQuicV1, kV1ClientInitial, "c300000001088394c8f03e5157080000449e00000002");
}

TEST(QuicOpenInitial, Rfc9369AppendixA2) {
  expect_opens(kQuicV2, kV2ClientInitial, "d36b3343cf088394c8f03e5157080000449e00000002");
}

// The ClientHello of the RFCs' packets, read field by field from the printed bytes.
void expect_rfc_client_hello(const ClientHello& h) {
  EXPECT_EQ(h.sni, "example.com");
  EXPECT_EQ(h.alpn, (std::vector<std::string>{"alpn"}));
  EXPECT_EQ(h.ciphers, (std::vector<std::uint16_t>{0x1301, 0x1302}));
  EXPECT_EQ(h.versions, (std::vector<std::uint16_t>{0x0304}));
  EXPECT_EQ(h.extensions, (std::vector<std::uint16_t>{0x0000, 0xff01, 0x000a, 0x0010, 0x0005, 0x0033, 0x002b,
                                                      0x000d, 0x002d, 0x001c, 0x0039}));
  // JA4 by its specification, worked by hand: 2 ciphers, 11 extensions, ALPN "alpn"; the
  // hashes are SHA-256 of "1301,1302" and of
  // "0005,000a,000d,001c,002b,002d,0033,0039,ff01_0403,0503,0603,0203,0804,0805,0806".
  EXPECT_EQ(ja4(h, 'q'), "q13d0211an_62ed6f6ca7ad_4d634acda6c0");
}

TEST(QuicInitialReader, ReadsTheRfcClientHellos) {
  for (const std::string_view packet : {kV1ClientInitial, kV2ClientInitial}) {
    core::Counters<QuicCounter> counters;
    QuicInitialReader reader(counters);
    reader.on_datagram(hex(packet));
    ASSERT_EQ(reader.state(), QuicInitialReader::State::kRead);
    expect_rfc_client_hello(reader.client_hello());
    EXPECT_EQ(counters[QuicCounter::kInitials], 1u);
    EXPECT_EQ(counters[QuicCounter::kClientHellos], 1u);
    EXPECT_EQ(counters[QuicCounter::kAuthFailed] + counters[QuicCounter::kMalformed], 0u);
  }
}

// ---- Packets of the tests' own making ----

void put_varint(Bytes& b, std::uint64_t v) {
  if (v < 64) {
    b.push_back(static_cast<std::uint8_t>(v));
  } else if (v < 16384) {
    b.push_back(static_cast<std::uint8_t>(0x40 | v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
  } else {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>((shift == 24 ? 0x80 : 0) | v >> shift));
  }
}

Bytes crypto_frame(std::uint64_t offset, const Bytes& data) {
  Bytes f{0x06};
  put_varint(f, offset);
  put_varint(f, data.size());
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

// The RFC's ClientHello as a handshake message: the CRYPTO frame without its 4-byte header.
Bytes rfc_client_hello_message() {
  const Bytes frame = hex(kCryptoFrame);
  return Bytes(frame.begin() + 4, frame.end());
}

void append(Bytes& to, const Bytes& from) { to.insert(to.end(), from.begin(), from.end()); }

// A client Initial packet protected as RFC 9001 §5.3-5.4 say, by this test with OpenSSL
// directly (keys from derive_client_initial_keys, which the RFC vectors above check): a
// 4-byte packet number, and `frames` padded with PADDING to `payload_size`. The keys are those
// of `key_dcid`; the header carries `dcid`, the same unless given.
Bytes seal_initial(std::uint32_t version, const Bytes& key_dcid, std::uint32_t pn, Bytes frames,
                   std::size_t payload_size = 1162, const Bytes* written_dcid = nullptr) {
  const Bytes& dcid = written_dcid != nullptr ? *written_dcid : key_dcid;
  QuicInitialKeys k;
  EXPECT_TRUE(derive_client_initial_keys(version, key_dcid, k));
  frames.resize(std::max(frames.size(), payload_size), 0x00);
  Bytes packet{static_cast<std::uint8_t>(version == kQuicV2 ? 0xd3 : 0xc3)};
  for (int shift = 24; shift >= 0; shift -= 8) packet.push_back(static_cast<std::uint8_t>(version >> shift));
  packet.push_back(static_cast<std::uint8_t>(dcid.size()));
  append(packet, dcid);
  packet.push_back(0);  // source connection ID: empty
  packet.push_back(0);  // token: none
  const std::size_t length = 4 + frames.size() + 16;  // a two-byte varint: 0b01 in the top bits
  packet.push_back(static_cast<std::uint8_t>(0x40 | length >> 8));
  packet.push_back(static_cast<std::uint8_t>(length));
  const std::size_t pn_offset = packet.size();
  for (int shift = 24; shift >= 0; shift -= 8) packet.push_back(static_cast<std::uint8_t>(pn >> shift));

  std::array<std::uint8_t, 12> nonce = k.iv;
  for (int i = 0; i < 4; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(pn >> (8 * i));
  const std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  Bytes sealed(frames.size() + 16);
  int n = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, k.key.data(), nonce.data()), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx.get(), nullptr, &n, packet.data(), static_cast<int>(packet.size())), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx.get(), sealed.data(), &n, frames.data(), static_cast<int>(frames.size())), 1);
  EXPECT_EQ(EVP_EncryptFinal_ex(ctx.get(), sealed.data() + n, &n), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, sealed.data() + frames.size()), 1);

  std::array<std::uint8_t, 16> mask{};
  EXPECT_EQ(EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, k.hp.data(), nullptr), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx.get(), mask.data(), &n, sealed.data(), 16), 1);  // sample: pn_offset + 4
  packet[0] ^= mask[0] & 0x0f;
  for (std::size_t i = 0; i < 4; ++i) packet[pn_offset + i] ^= mask[1 + i];
  append(packet, sealed);
  return packet;
}

const Bytes kDcid = hex("0011223344556677");

TEST(QuicInitialReader, ClientHelloInTwoDatagramsOutOfOrder) {
  const Bytes hello = rfc_client_hello_message();
  const std::size_t cut = 100;
  const Bytes head(hello.begin(), hello.begin() + cut), tail(hello.begin() + cut, hello.end());
  for (const std::uint32_t version : {kQuicV1, kQuicV2}) {
    core::Counters<QuicCounter> counters;
    QuicInitialReader reader(counters);
    // The second packet (number 1, the ClientHello's tail) arrives first.
    reader.on_datagram(seal_initial(version, kDcid, 1, crypto_frame(cut, tail)));
    EXPECT_EQ(reader.state(), QuicInitialReader::State::kReading);
    EXPECT_EQ(counters[QuicCounter::kInitials], 1u);
    reader.on_datagram(seal_initial(version, kDcid, 0, crypto_frame(0, head)));
    ASSERT_EQ(reader.state(), QuicInitialReader::State::kRead);
    expect_rfc_client_hello(reader.client_hello());
    EXPECT_EQ(counters[QuicCounter::kInitials], 2u);
    EXPECT_EQ(counters[QuicCounter::kClientHellos], 1u);
  }
}

TEST(QuicInitialReader, CryptoFramesInterleavedWithPingsAndOverlapping) {
  // As Chrome scatters its ClientHello: several CRYPTO frames out of order, one repeating part
  // of another, among PINGs and PADDING, and an ACK with ECN counts.
  const Bytes hello = rfc_client_hello_message();
  const auto part = [&](std::size_t from, std::size_t to) { return Bytes(hello.begin() + from, hello.begin() + to); };
  Bytes frames{0x01, 0x00, 0x00};
  append(frames, crypto_frame(150, part(150, hello.size())));
  frames.push_back(0x01);
  append(frames, crypto_frame(40, part(40, 160)));
  append(frames, Bytes{0x03, 0x05, 0x00, 0x01, 0x00, 0x02, 0x01, 0x07, 0x08, 0x09});  // ACK 0x03
  append(frames, crypto_frame(0, part(0, 40)));
  core::Counters<QuicCounter> counters;
  QuicInitialReader reader(counters);
  reader.on_datagram(seal_initial(kQuicV1, kDcid, 0, frames));
  ASSERT_EQ(reader.state(), QuicInitialReader::State::kRead);
  expect_rfc_client_hello(reader.client_hello());
}

TEST(QuicInitialReader, LaterInitialsWithTheServersConnectionIdUseTheFirstKeys) {
  const Bytes hello = rfc_client_hello_message();
  core::Counters<QuicCounter> counters;
  QuicInitialReader reader(counters);
  reader.on_datagram(seal_initial(kQuicV1, kDcid, 0, crypto_frame(0, Bytes(hello.begin(), hello.begin() + 50))));
  // Sealed with the first ID's keys, but written to the server's ID (RFC 9001 §5.2).
  const Bytes server_id = hex("eeeeeeee");
  reader.on_datagram(
      seal_initial(kQuicV1, kDcid, 1, crypto_frame(50, Bytes(hello.begin() + 50, hello.end())), 1162, &server_id));
  EXPECT_EQ(reader.state(), QuicInitialReader::State::kRead);
  EXPECT_EQ(counters[QuicCounter::kAuthFailed], 0u);
}

TEST(QuicInitialReader, CorruptedTagIsCountedAndAddsNothing) {
  Bytes packet = hex(kV1ClientInitial);
  packet.back() ^= 0x01;
  core::Counters<QuicCounter> counters;
  QuicInitialReader reader(counters);
  reader.on_datagram(packet);
  EXPECT_EQ(reader.state(), QuicInitialReader::State::kReading);
  EXPECT_EQ(counters[QuicCounter::kAuthFailed], 1u);
  EXPECT_EQ(counters[QuicCounter::kInitials], 0u);
  EXPECT_EQ(counters[QuicCounter::kClientHellos], 0u);
  // The intact packet is still read afterwards.
  reader.on_datagram(hex(kV1ClientInitial));
  EXPECT_EQ(reader.state(), QuicInitialReader::State::kRead);
}

TEST(QuicInitialReader, TruncatedAndGarbageDatagramsAreCounted) {
  const Bytes packet = hex(kV1ClientInitial);
  core::Counters<QuicCounter> counters;
  QuicInitialReader reader(counters);
  for (const std::size_t cut : {std::size_t{1}, std::size_t{4}, std::size_t{9}, std::size_t{18}, std::size_t{30},
                                std::size_t{600}, packet.size() - 1}) {
    reader.on_datagram(Bytes(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(cut)));
  }
  EXPECT_EQ(counters[QuicCounter::kMalformed], 7u);
  // Not long headers, or another version's: passed over without a count.
  reader.on_datagram(Bytes{0x40, 0x01, 0x02, 0x03});
  reader.on_datagram(Bytes{0xc0, 0xff, 0x00, 0x00, 0x16, 0x08});  // draft-22: not read
  reader.on_datagram(Bytes{});
  // A v1 Initial whose connection ID claims 255 bytes.
  reader.on_datagram(Bytes{0xc0, 0x00, 0x00, 0x00, 0x01, 0xff, 0x00});
  EXPECT_EQ(counters[QuicCounter::kMalformed], 8u);
  EXPECT_EQ(counters[QuicCounter::kAuthFailed] + counters[QuicCounter::kInitials], 0u);
  EXPECT_EQ(reader.state(), QuicInitialReader::State::kReading);
}

TEST(QuicInitialReader, CoalescedInitialAndHandshake) {
  Bytes datagram = seal_initial(kQuicV1, kDcid, 0, crypto_frame(0, rfc_client_hello_message()), 400);
  // A Handshake packet (type 2) behind it, whose contents are not read.
  Bytes handshake{0xe3, 0x00, 0x00, 0x00, 0x01, 0x08};
  append(handshake, kDcid);
  handshake.push_back(0);
  put_varint(handshake, 60);
  handshake.resize(handshake.size() + 60, 0x5a);
  append(datagram, handshake);
  core::Counters<QuicCounter> counters;
  QuicInitialReader reader(counters);
  reader.on_datagram(datagram);
  ASSERT_EQ(reader.state(), QuicInitialReader::State::kRead);
  expect_rfc_client_hello(reader.client_hello());
  EXPECT_EQ(counters[QuicCounter::kMalformed] + counters[QuicCounter::kAuthFailed], 0u);

  // The Handshake packet first, then the Initial: the Initial is still found.
  Bytes reversed = handshake;
  append(reversed, seal_initial(kQuicV2, kDcid, 0, crypto_frame(0, rfc_client_hello_message()), 400));
  QuicInitialReader second(counters);
  reversed[0] = 0xf3;  // v2's Handshake type is 3
  std::copy_n(hex("6b3343cf").begin(), 4, reversed.begin() + 1);
  second.on_datagram(reversed);
  EXPECT_EQ(second.state(), QuicInitialReader::State::kRead);
}

TEST(QuicInitialReader, FramesNotAllowedInInitialStopThePacket) {
  const Bytes hello = rfc_client_hello_message();
  Bytes frames = crypto_frame(0, Bytes(hello.begin(), hello.begin() + 20));
  append(frames, Bytes{0x08, 0x00, 0x01, 0x61});  // STREAM: 1-RTT only
  append(frames, crypto_frame(20, Bytes(hello.begin() + 20, hello.end())));
  core::Counters<QuicCounter> counters;
  QuicInitialReader reader(counters);
  reader.on_datagram(seal_initial(kQuicV1, kDcid, 0, frames));
  EXPECT_EQ(counters[QuicCounter::kInitials], 1u);
  EXPECT_EQ(counters[QuicCounter::kMalformed], 1u);
  EXPECT_EQ(reader.state(), QuicInitialReader::State::kReading);  // the first 20 bytes were kept
  reader.on_datagram(seal_initial(kQuicV1, kDcid, 1, crypto_frame(20, Bytes(hello.begin() + 20, hello.end()))));
  EXPECT_EQ(reader.state(), QuicInitialReader::State::kRead);
}

TEST(QuicInitialReader, ClientHelloLargerThanTheLimitIsCounted) {
  core::Counters<QuicCounter> counters;
  QuicInitialReader reader(counters);
  reader.on_datagram(seal_initial(kQuicV1, kDcid, 0, crypto_frame(0, Bytes{0x01, 0x01, 0x00, 0x01, 0x03, 0x03})));
  EXPECT_EQ(reader.state(), QuicInitialReader::State::kGivenUp);
  EXPECT_EQ(counters[QuicCounter::kTooLarge], 1u);
  // Not a ClientHello at all (a ServerHello's type): malformed.
  QuicInitialReader other(counters);
  other.on_datagram(seal_initial(kQuicV1, kDcid, 0, crypto_frame(0, Bytes{0x02, 0x00, 0x00, 0x02, 0x03, 0x03})));
  EXPECT_EQ(other.state(), QuicInitialReader::State::kGivenUp);
  EXPECT_EQ(counters[QuicCounter::kMalformed], 1u);
}

TEST(QuicInitialReader, GivesUpAfterRepeatedAuthenticationFailures) {
  Bytes packet = hex(kV1ClientInitial);
  packet[30] ^= 0xff;
  core::Counters<QuicCounter> counters;
  QuicInitialReader reader(counters);
  for (int i = 0; i < QuicInitialReader::kMaxAuthFailures + 3; ++i) reader.on_datagram(packet);
  EXPECT_EQ(reader.state(), QuicInitialReader::State::kGivenUp);
  EXPECT_EQ(counters[QuicCounter::kAuthFailed], static_cast<core::Counter>(QuicInitialReader::kMaxAuthFailures));
}

TEST(QuicCryptoStream, ReassemblesByOffsetWithinItsBounds) {
  QuicCryptoStream s;
  EXPECT_TRUE(s.add(3, Bytes{'d', 'e'}));
  EXPECT_TRUE(s.contiguous().empty());
  EXPECT_TRUE(s.add(0, Bytes{'a', 'b'}));
  EXPECT_EQ(s.contiguous().size(), 2u);
  EXPECT_TRUE(s.add(1, Bytes{'b', 'c', 'd'}));
  EXPECT_EQ(std::string(s.contiguous().begin(), s.contiguous().end()), "abcde");
  EXPECT_TRUE(s.add(QuicCryptoStream::kMaxBytes, Bytes{'z'}));  // beyond the bound: dropped
  EXPECT_EQ(s.contiguous().size(), 5u);
  // Holes are bounded.
  QuicCryptoStream holes;
  for (std::size_t i = 0; i < QuicCryptoStream::kMaxPieces; ++i) EXPECT_TRUE(holes.add(10 + 2 * i, Bytes{'x'}));
  EXPECT_FALSE(holes.add(1000, Bytes{'x'}));
  EXPECT_TRUE(holes.add(11, Bytes{'x'}));  // fills a hole: fewer pieces
}

TEST(QuicFrames, ConnectionCloseAndAckRead) {
  QuicCryptoStream s;
  // ACK with two more ranges, CONNECTION_CLOSE (0x1c) with a 3-byte reason, PING.
  EXPECT_TRUE(read_initial_frames(hex("0209000203010101001c0a0003616263" "01"), s));
  EXPECT_FALSE(read_initial_frames(hex("1d0a0000"), s));  // the application's CONNECTION_CLOSE
  EXPECT_FALSE(read_initial_frames(hex("0209000903"), s));  // ACK ranges beyond the payload
  EXPECT_FALSE(read_initial_frames(hex("0600050102"), s));  // CRYPTO data beyond the payload
}

// ---- The dissector ----

class QuicDissectorTest : public ::testing::Test {
 protected:
  QuicDissectorTest() { add_quic(table, counters); }
  std::unique_ptr<flow::Dissector> choose(const Bytes& first, flow::Direction dir = flow::Direction::kFromClient,
                                          std::uint8_t proto = decode::ip_proto::kUdp) {
    flow::FlowContext c;
    c.ip_proto = proto;
    c.first_dir = dir;
    c.first_payload = first;
    return table.choose(c);
  }
  flow::DissectorTable table;
  core::Counters<QuicCounter> counters;
};

TEST_F(QuicDissectorTest, NamesTheFlowFromTheClientHello) {
  const Bytes first = hex(kV2ClientInitial);
  auto d = choose(first);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(counters[QuicCounter::kFlows], 1u);
  // The ClientHello is whole after this datagram: the dissector wants no more of the flow.
  EXPECT_EQ(d->on_datagram(flow::Direction::kFromClient, core::Timestamp{}, first).kind,
            flow::Progress::Kind::kFinished);
  // What would follow is not read: a server datagram, a 1-RTT packet.
  EXPECT_EQ(d->on_datagram(flow::Direction::kFromServer, core::Timestamp{}, first).kind,
            flow::Progress::Kind::kFinished);
  EXPECT_EQ(d->on_datagram(flow::Direction::kFromClient, core::Timestamp{}, Bytes{0x41, 0x02}).kind,
            flow::Progress::Kind::kFinished);
  d->on_close();
  flow::FlowRecord r;
  d->annotate(r);
  EXPECT_EQ(r.sni, "example.com");
  EXPECT_EQ(r.name, "example.com");
  EXPECT_EQ(r.name_source, flow::NameSource::kQuic);
  EXPECT_EQ(r.alpn, (std::vector<std::string>{"alpn"}));
  EXPECT_EQ(r.tls_versions, (std::vector<std::string>{"1.3"}));
  EXPECT_EQ(r.ja4, "q13d0211an_62ed6f6ca7ad_4d634acda6c0");
  EXPECT_EQ(counters[QuicCounter::kClientHellos], 1u);
  EXPECT_EQ(counters[QuicCounter::kIncomplete], 0u);
}

TEST_F(QuicDissectorTest, OnlyFlowsOpenedByAClientInitial) {
  const Bytes initial = hex(kV1ClientInitial);
  EXPECT_EQ(choose(Bytes{0x12, 0x34, 0x01, 0x00, 0x00, 0x01}), nullptr);  // a DNS query, say
  EXPECT_EQ(choose(Bytes{0x41, 0x00, 0x00, 0x00, 0x01}), nullptr);       // 1-RTT
  EXPECT_EQ(choose(Bytes{}), nullptr);
  EXPECT_EQ(choose(initial, flow::Direction::kFromServer), nullptr);
  EXPECT_EQ(choose(initial, flow::Direction::kFromClient, decode::ip_proto::kTcp), nullptr);
  Bytes handshake = initial;
  handshake[0] = 0xe0;  // v1 Handshake: the flow's Initials were missed
  EXPECT_EQ(choose(handshake), nullptr);
  EXPECT_EQ(counters[QuicCounter::kFlows], 0u);
  // A 0-RTT packet sent with the Initial may arrive ahead of it.
  Bytes zero_rtt = initial;
  zero_rtt[0] = 0xd0;  // v1 0-RTT
  EXPECT_NE(choose(zero_rtt), nullptr);
  EXPECT_EQ(counters[QuicCounter::kFlows], 1u);
}

TEST_F(QuicDissectorTest, IncompleteAndGivenUpFlows) {
  const Bytes hello = rfc_client_hello_message();
  const Bytes half = seal_initial(kQuicV1, kDcid, 0, crypto_frame(0, Bytes(hello.begin(), hello.begin() + 90)));
  auto d = choose(half);
  ASSERT_NE(d, nullptr);
  d->on_datagram(flow::Direction::kFromClient, core::Timestamp{}, half);
  d->on_close();
  flow::FlowRecord r;
  d->annotate(r);
  EXPECT_TRUE(r.sni.empty());
  EXPECT_EQ(counters[QuicCounter::kIncomplete], 1u);

  const Bytes server_hello = seal_initial(kQuicV1, kDcid, 0, crypto_frame(0, Bytes{0x02, 0, 0, 1, 0}));
  auto e = choose(server_hello);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->on_datagram(flow::Direction::kFromClient, core::Timestamp{}, server_hello).kind,
            flow::Progress::Kind::kReject);
}

}  // namespace
}  // namespace tattle::dissect
