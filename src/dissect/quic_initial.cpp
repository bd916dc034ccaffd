#include "dissect/quic_initial.hpp"

#include "decrypt/key_schedule.hpp"
#include "dissect/quic_packet.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <span>

namespace tattle::dissect {

std::string_view counter_name(QuicCounter c) {
  switch (c) {
    case QuicCounter::kFlows: return "flows";
    case QuicCounter::kInitials: return "initials";
    case QuicCounter::kAuthFailed: return "auth_failed";
    case QuicCounter::kClientHellos: return "client_hellos";
    case QuicCounter::kMalformed: return "malformed";
    case QuicCounter::kTooLarge: return "too_large";
    case QuicCounter::kIncomplete: return "incomplete";
    case QuicCounter::kDecryptedFlows: return "decrypted_flows";
    case QuicCounter::kPacketsDecrypted: return "packets_decrypted";
    case QuicCounter::kPacketsFailed: return "packets_failed";
    case QuicCounter::kStreamBytes: return "stream_bytes";
    case QuicCounter::kCount: break;
  }
  return "?";
}

namespace {

constexpr std::uint8_t kLongHeaderForm = 0x80;
constexpr std::size_t kMaxConnectionId = 20;  // RFC 9000 §17.2, for v1 (and so v2)
constexpr std::size_t kSampleOffset = 4;      // RFC 9001 §5.4.2: as if the packet number had 4 bytes
constexpr std::size_t kSampleSize = 16;
constexpr std::size_t kTagSize = 16;
constexpr std::uint8_t kClientHelloType = 1;
constexpr std::size_t kHandshakeHeader = 4;

// Initial salts: RFC 9001 §5.2 and RFC 9369 §3.3.1; draft-ietf-quic-tls-29 §5.2 (drafts 29 to
// 32) and draft-ietf-quic-tls-23 §5.2 (drafts 23 to 28).
constexpr std::array<std::uint8_t, 20> kSaltV1 = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                                  0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr std::array<std::uint8_t, 20> kSaltV2 = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                                                  0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};
constexpr std::array<std::uint8_t, 20> kSaltDraft29 = {0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
                                                       0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99};
constexpr std::array<std::uint8_t, 20> kSaltDraft23 = {0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7,
                                                       0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65, 0xbe, 0xf9, 0xf5, 0x02};
constexpr std::uint32_t kDraft23 = 0xff000017, kDraft29 = 0xff00001d, kDraft32 = 0xff000020;

const std::array<std::uint8_t, 20>* initial_salt(std::uint32_t version) {
  if (version == kQuicV1) return &kSaltV1;
  if (version == kQuicV2) return &kSaltV2;
  if (version >= kDraft29 && version <= kDraft32) return &kSaltDraft29;
  if (version >= kDraft23 && version < kDraft29) return &kSaltDraft23;
  return nullptr;
}

std::uint32_t version_of(core::Bytes datagram) {
  return datagram.size() < 5 ? 0 : core::ByteReader::load_u32be(datagram.data() + 1);
}

// The long-header type bits (RFC 9000 §17.2; RFC 9369 §3.2 renumbers them for v2).
QuicPacketType packet_type(std::uint32_t version, std::uint8_t first) {
  const unsigned bits = (first >> 4) & 3;
  if (version == kQuicV2) {
    constexpr QuicPacketType v2[] = {QuicPacketType::kRetry, QuicPacketType::kInitial, QuicPacketType::kZeroRtt,
                                     QuicPacketType::kHandshake};
    return v2[bits];
  }
  return static_cast<QuicPacketType>(bits);
}

// ---- OpenSSL 3 EVP ----

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// Fetched once per process; EVP algorithm objects may be shared between threads.
const EVP_CIPHER* aes_128_gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  return cipher;
}
const EVP_CIPHER* aes_128_ecb() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  return cipher;
}
// HKDF-Expand-Label with an empty context and SHA-256, as RFC 9001 §5.1 uses it.
bool expand_label(core::Bytes secret, std::string_view label, std::span<std::uint8_t> out) {
  return decrypt::hkdf_expand_label(decrypt::Hash::kSha256, secret, label, {}, out);
}

}  // namespace

bool quic_version_read(std::uint32_t version) { return initial_salt(version) != nullptr; }

bool starts_quic_first_flight(core::Bytes datagram) {
  const std::uint32_t version = version_of(datagram);
  if (!quic_version_read(version) || (datagram[0] & kLongHeaderForm) == 0) return false;
  const QuicPacketType type = packet_type(version, datagram[0]);
  return type == QuicPacketType::kInitial || type == QuicPacketType::kZeroRtt;
}

bool derive_client_initial_keys(std::uint32_t version, core::Bytes dcid, QuicInitialKeys& out) {
  return derive_initial_keys(version, dcid, false, out);
}

bool derive_initial_keys(std::uint32_t version, core::Bytes dcid, bool server, QuicInitialKeys& out) {
  const auto* salt = initial_salt(version);
  if (salt == nullptr) return false;
  const bool v2 = version == kQuicV2;
  std::array<std::uint8_t, 32> initial_secret{}, client_secret{};
  return decrypt::hkdf_extract(decrypt::Hash::kSha256, *salt, dcid, initial_secret) &&
         expand_label(initial_secret, server ? "server in" : "client in", client_secret) &&
         expand_label(client_secret, v2 ? "quicv2 key" : "quic key", out.key) &&
         expand_label(client_secret, v2 ? "quicv2 iv" : "quic iv", out.iv) &&
         expand_label(client_secret, v2 ? "quicv2 hp" : "quic hp", out.hp);
}

bool read_long_header(core::Bytes datagram, QuicLongHeader& out) {
  core::ByteReader r(datagram);
  const std::uint8_t first = r.u8();
  out.version = r.u32be();
  if (!r.ok() || (first & kLongHeaderForm) == 0 || !quic_version_read(out.version)) return false;
  out.type = packet_type(out.version, first);
  if (out.type == QuicPacketType::kRetry) return false;
  const std::size_t dcid_length = r.u8();
  out.dcid = r.take(dcid_length);
  const std::size_t scid_length = r.u8();
  out.scid = r.take(scid_length);
  if (dcid_length > kMaxConnectionId || scid_length > kMaxConnectionId) return false;
  out.token = {};
  if (out.type == QuicPacketType::kInitial) {
    const std::uint64_t token_length = quic_varint(r);
    out.token = r.take(token_length);
  }
  const std::uint64_t length = quic_varint(r);
  out.pn_offset = r.offset();
  if (!r.ok() || length > r.remaining()) return false;
  out.packet = datagram.first(out.pn_offset + length);
  return true;
}

bool open_initial(const QuicLongHeader& h, const QuicInitialKeys& keys, std::uint64_t expected_pn,
                  QuicOpenedPacket& out) {
  const core::Bytes p = h.packet;
  if (p.size() < h.pn_offset + kSampleOffset + kSampleSize || aes_128_ecb() == nullptr || aes_128_gcm() == nullptr)
    return false;
  const std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;

  // Header protection (RFC 9001 §5.4.1, §5.4.3): the mask is AES-ECB of a ciphertext sample.
  std::array<std::uint8_t, kSampleSize> mask{};
  int n = 0;
  if (EVP_EncryptInit_ex2(ctx.get(), aes_128_ecb(), keys.hp.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), mask.data(), &n, p.data() + h.pn_offset + kSampleOffset, kSampleSize) != 1 ||
      n != static_cast<int>(kSampleSize))
    return false;
  const std::uint8_t first = p[0] ^ (mask[0] & 0x0f);  // long header: the low four bits
  const std::size_t pn_length = (first & 0x03) + 1;
  out.header.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(h.pn_offset + pn_length));
  out.header[0] = first;
  std::uint64_t truncated = 0;
  for (std::size_t i = 0; i < pn_length; ++i) {
    out.header[h.pn_offset + i] ^= mask[1 + i];
    truncated = truncated << 8 | out.header[h.pn_offset + i];
  }
  out.packet_number = quic_packet_number(expected_pn, truncated, static_cast<unsigned>(8 * pn_length));

  // AEAD (RFC 9001 §5.3): the nonce is the IV XORed with the packet number; the associated
  // data is the unprotected header. The sample check above leaves room for the tag.
  std::array<std::uint8_t, 12> nonce = keys.iv;
  for (std::size_t i = 0; i < 8; ++i)
    nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(out.packet_number >> (8 * i));
  const core::Bytes sealed = p.subspan(out.header.size());
  const core::Bytes ciphertext = sealed.first(sealed.size() - kTagSize);
  const core::Bytes tag = sealed.last(kTagSize);
  out.payload.resize(ciphertext.size());
  int aad_length = 0, length = 0, final_length = 0;
  if (EVP_DecryptInit_ex2(ctx.get(), aes_128_gcm(), keys.key.data(), nonce.data(), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &aad_length, out.header.data(), static_cast<int>(out.header.size())) != 1)
    return false;
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(ctx.get(), out.payload.data(), &length, ciphertext.data(), static_cast<int>(ciphertext.size())) != 1)
    return false;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize),
                          const_cast<std::uint8_t*>(tag.data())) != 1)
    return false;
  return EVP_DecryptFinal_ex(ctx.get(), out.payload.data() + length, &final_length) == 1;
}

bool QuicCryptoStream::add(std::uint64_t offset, core::Bytes data) {
  if (data.empty() || offset >= kMaxBytes) return true;
  const std::uint64_t end = std::min<std::uint64_t>(offset + data.size(), kMaxBytes);
  // The ranges this one touches or abuts: [first, last).
  const auto first = std::find_if(ranges_.begin(), ranges_.end(), [&](const auto& r) { return r.second >= offset; });
  const auto last = std::find_if(first, ranges_.end(), [&](const auto& r) { return r.first > end; });
  if (first == last) {
    if (ranges_.size() == kMaxPieces) return false;
    ranges_.insert(first, {offset, end});
  } else {
    first->first = std::min(first->first, offset);
    first->second = std::max(std::prev(last)->second, end);
    ranges_.erase(std::next(first), last);
  }
  if (data_.size() < end) data_.resize(end);
  std::copy_n(data.begin(), end - offset, data_.begin() + static_cast<std::ptrdiff_t>(offset));
  return true;
}

core::Bytes QuicCryptoStream::contiguous() const {
  if (ranges_.empty() || ranges_.front().first != 0) return {};
  return core::Bytes(data_.data(), ranges_.front().second);
}

void QuicCryptoStream::release() {
  data_ = {};
  ranges_ = {};
}

bool read_initial_frames(core::Bytes payload, QuicCryptoStream& stream) {
  // Only CRYPTO data is kept; the frame reader refuses what an Initial packet may not hold.
  struct Crypto final : QuicFrameSink {
    explicit Crypto(QuicCryptoStream& s) : stream(s) {}
    bool on_crypto(std::uint64_t offset, core::Bytes data) override { return stream.add(offset, data); }
    void on_stream(std::uint64_t, std::uint64_t, core::Bytes, bool) override {}
    void on_reset(std::uint64_t) override {}
    QuicCryptoStream& stream;
  } crypto(stream);
  return read_quic_frames(payload, crypto, true);
}

void QuicInitialReader::on_datagram(core::Bytes datagram) {
  while (state_ == State::kReading && !datagram.empty() && (datagram[0] & kLongHeaderForm) != 0) {
    QuicLongHeader h;
    if (!read_long_header(datagram, h)) {
      // Another version's packet ends the datagram; a damaged one of a version read is counted.
      const std::uint32_t version = version_of(datagram);
      if (version == 0 || quic_version_read(version)) ++counters_[QuicCounter::kMalformed];
      return;
    }
    datagram = datagram.subspan(h.packet.size());
    // 0-RTT and Handshake packets coalesced with an Initial are passed over.
    if (h.type == QuicPacketType::kInitial) on_initial(h);
  }
}

void QuicInitialReader::on_initial(const QuicLongHeader& h) {
  if (h.packet.size() < h.pn_offset + kSampleOffset + kSampleSize) {
    ++counters_[QuicCounter::kMalformed];
    return;
  }
  if (!open_with_keys(h)) {
    // Never guessed at: a packet that does not authenticate adds nothing.
    ++counters_[QuicCounter::kAuthFailed];
    if (++auth_failures_ >= kMaxAuthFailures) finish(State::kGivenUp);
    return;
  }
  ++counters_[QuicCounter::kInitials];
  if (!largest_pn_) {
    version_ = h.version;
    first_dcid_.assign(keys_[0].dcid.begin(), keys_[0].dcid.end());
    scid_length_ = h.scid.size();
  }
  largest_pn_ = std::max(largest_pn_.value_or(0), opened_.packet_number);
  if (!read_initial_frames(opened_.payload, crypto_)) ++counters_[QuicCounter::kMalformed];
  take_client_hello();
}

bool QuicInitialReader::open_with_keys(const QuicLongHeader& h) {
  const std::uint64_t expected = largest_pn_ ? *largest_pn_ + 1 : 0;
  const KeySet* own = keys_for(h.version, h.dcid);
  if (own != nullptr && open_initial(h, own->keys, expected, opened_)) return true;
  // Once the server has answered, the client writes the server's connection ID but keeps the
  // keys of its first Destination Connection ID (RFC 9001 §5.2); also after a compatible
  // version change (RFC 9369 §4.1), hence the packet's version with the first ID.
  if (keys_.empty() || std::equal(h.dcid.begin(), h.dcid.end(), keys_[0].dcid.begin(), keys_[0].dcid.end()))
    return false;
  const KeySet* first = keys_for(h.version, keys_[0].dcid);
  return first != nullptr && open_initial(h, first->keys, expected, opened_);
}

const QuicInitialReader::KeySet* QuicInitialReader::keys_for(std::uint32_t version, core::Bytes dcid) {
  for (const KeySet& k : keys_) {
    if (k.version == version && std::equal(k.dcid.begin(), k.dcid.end(), dcid.begin(), dcid.end())) return &k;
  }
  if (keys_.size() == kMaxKeySets) return nullptr;
  keys_.reserve(kMaxKeySets);  // once: the spans and pointers handed out stay valid
  KeySet k;
  k.version = version;
  k.dcid.assign(dcid.begin(), dcid.end());
  if (!derive_client_initial_keys(version, dcid, k.keys)) return nullptr;
  keys_.push_back(std::move(k));
  return &keys_.back();
}

void QuicInitialReader::take_client_hello() {
  const core::Bytes s = crypto_.contiguous();
  if (s.size() < kHandshakeHeader) return;
  // The client's Initial CRYPTO stream begins with its ClientHello (RFC 9001 §4.1.3).
  if (s[0] != kClientHelloType) {
    ++counters_[QuicCounter::kMalformed];
    return finish(State::kGivenUp);
  }
  const std::size_t length = std::size_t{s[1]} << 16 | std::size_t{s[2]} << 8 | s[3];
  if (length > kMaxClientHello) {
    ++counters_[QuicCounter::kTooLarge];
    return finish(State::kGivenUp);
  }
  if (s.size() < kHandshakeHeader + length) return;
  if (!parse_client_hello(s.subspan(kHandshakeHeader, length), hello_)) {
    ++counters_[QuicCounter::kMalformed];
    return finish(State::kGivenUp);
  }
  ++counters_[QuicCounter::kClientHellos];
  finish(State::kRead);
}

void QuicInitialReader::finish(State s) {
  state_ = s;
  crypto_.release();
  opened_ = {};
  keys_ = {};
}

}  // namespace tattle::dissect
