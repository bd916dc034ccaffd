#include "dissect/quic_packet.hpp"

#include <algorithm>

#include <openssl/evp.h>

namespace tattle::dissect {

namespace {

constexpr std::uint32_t kQuicV2 = 0x6b3343cf;
constexpr std::size_t kSampleOffset = 4;  // RFC 9001 §5.4.2: as if the packet number had 4 bytes
constexpr std::size_t kSampleSize = 16;
constexpr std::size_t kTag = 16;  // every AEAD QUIC uses (CCM_8 is not allowed, RFC 9001 §5.3)

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::string_view label(std::uint32_t version, std::string_view v1, std::string_view v2) {
  return version == kQuicV2 ? v2 : v1;
}

}  // namespace

// RFC 9000 Appendix A.3.
std::uint64_t quic_packet_number(std::uint64_t expected, std::uint64_t truncated, unsigned bits) {
  const std::uint64_t window = std::uint64_t{1} << bits;
  const std::uint64_t half = window / 2;
  const std::uint64_t candidate = (expected & ~(window - 1)) | truncated;
  if (candidate + half <= expected && candidate < (std::uint64_t{1} << 62) - window) return candidate + window;
  if (candidate > expected + half && candidate >= window) return candidate - window;
  return candidate;
}

std::uint64_t quic_varint(core::ByteReader& r) {
  const std::uint8_t first = r.u8();
  const std::size_t extra = (std::size_t{1} << (first >> 6)) - 1;
  std::uint64_t v = first & 0x3f;
  for (const std::uint8_t b : r.take(extra)) v = v << 8 | b;
  return v;
}

QuicPacketKeys::QuicPacketKeys() = default;
QuicPacketKeys::~QuicPacketKeys() = default;
QuicPacketKeys::QuicPacketKeys(QuicPacketKeys&&) noexcept = default;
QuicPacketKeys& QuicPacketKeys::operator=(QuicPacketKeys&&) noexcept = default;

bool QuicPacketKeys::derive(std::uint32_t version, decrypt::Hash hash, decrypt::Aead aead, core::Bytes secret) {
  ready_ = false;
  if (secret.size() != decrypt::hash_size(hash) || aead == decrypt::Aead::kAes128Ccm8) return false;
  version_ = version;
  hash_ = hash;
  aead_ = aead;
  secret_.assign(secret.begin(), secret.end());
  const std::size_t key_size = decrypt::key_size(aead);
  std::array<std::uint8_t, 32> key{};
  if (!decrypt::hkdf_expand_label(hash, secret, label(version, "quic key", "quicv2 key"), {},
                                  std::span(key.data(), key_size)) ||
      !decrypt::hkdf_expand_label(hash, secret, label(version, "quic iv", "quicv2 iv"), {}, iv_) ||
      !decrypt::hkdf_expand_label(hash, secret, label(version, "quic hp", "quicv2 hp"), {},
                                  std::span(hp_.data(), key_size)))
    return false;
  if (!opener_) opener_ = std::make_unique<decrypt::RecordOpener>();
  ready_ = opener_->set_keys(aead, core::Bytes(key.data(), key_size), iv_);
  return ready_;
}

bool QuicPacketKeys::next(QuicPacketKeys& out) const {
  if (!ready_) return false;
  std::vector<std::uint8_t> secret(secret_.size());
  if (!decrypt::hkdf_expand_label(hash_, secret_, label(version_, "quic ku", "quicv2 ku"), {}, secret) ||
      !out.derive(version_, hash_, aead_, secret))
    return false;
  out.hp_ = hp_;  // RFC 9001 §6: header protection keys are not updated
  return true;
}

// The header protection mask (RFC 9001 §5.4.3, §5.4.4): AES-ECB of the sample, or ChaCha20 of
// five zero bytes with the sample as its counter and nonce.
bool QuicPacketKeys::mask(core::Bytes sample, std::array<std::uint8_t, 5>& out) const {
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
  const std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  int n = 0;
  if (aead_ == decrypt::Aead::kChaCha20Poly1305) {
    static constexpr std::uint8_t kZeros[5] = {};
    return chacha != nullptr && EVP_EncryptInit_ex2(ctx.get(), chacha, hp_.data(), sample.data(), nullptr) == 1 &&
           EVP_EncryptUpdate(ctx.get(), out.data(), &n, kZeros, 5) == 1 && n == 5;
  }
  const EVP_CIPHER* aes = aead_ == decrypt::Aead::kAes256Gcm ? aes256 : aes128;
  std::array<std::uint8_t, kSampleSize> block{};
  if (aes == nullptr || EVP_EncryptInit_ex2(ctx.get(), aes, hp_.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), block.data(), &n, sample.data(), kSampleSize) != 1 || n != kSampleSize)
    return false;
  std::copy_n(block.begin(), 5, out.begin());
  return true;
}

bool QuicPacketKeys::open(core::Bytes p, std::size_t pn_offset, bool long_header, std::uint64_t expected_pn,
                          std::vector<std::uint8_t>& header, std::vector<std::uint8_t>& payload, std::uint64_t& pn,
                          bool& key_phase) {
  if (!ready_ || p.size() < pn_offset + kSampleOffset + kSampleSize) return false;
  std::array<std::uint8_t, 5> m{};
  if (!mask(p.subspan(pn_offset + kSampleOffset, kSampleSize), m)) return false;
  const std::uint8_t first = p[0] ^ (m[0] & (long_header ? 0x0f : 0x1f));
  const std::size_t pn_length = (first & 0x03) + 1;
  if (p.size() < pn_offset + pn_length + kTag) return false;
  header.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(pn_offset + pn_length));
  header[0] = first;
  std::uint64_t truncated = 0;
  for (std::size_t i = 0; i < pn_length; ++i) {
    header[pn_offset + i] ^= m[1 + i];
    truncated = truncated << 8 | header[pn_offset + i];
  }
  pn = quic_packet_number(expected_pn, truncated, static_cast<unsigned>(8 * pn_length));
  key_phase = !long_header && (first & 0x04) != 0;
  const core::Bytes sealed = p.subspan(header.size());
  payload.resize(sealed.size() - kTag);
  return opener_->open_aead(decrypt::record_nonce(iv_, pn), header, sealed.first(sealed.size() - kTag),
                            sealed.last(kTag), payload);
}

bool read_quic_frames(core::Bytes payload, QuicFrameSink& sink, bool handshake) {
  core::ByteReader r(payload);
  const auto skip_varints = [&](int n) {
    for (int i = 0; i < n; ++i) quic_varint(r);
  };
  while (r.remaining() > 0 && r.ok()) {
    const std::uint64_t type = quic_varint(r);
    if (handshake && type > 0x03 && type != 0x06 && type != 0x1c) return false;
    if (type >= 0x08 && type <= 0x0f) {  // STREAM, with its OFF, LEN and FIN bits
      const std::uint64_t id = quic_varint(r);
      const std::uint64_t offset = (type & 0x04) ? quic_varint(r) : 0;
      const core::Bytes data = (type & 0x02) ? r.take(quic_varint(r)) : r.take(r.remaining());
      if (!r.ok() || offset > (std::uint64_t{1} << 62) - data.size()) return false;
      sink.on_stream(id, offset, data, (type & 0x01) != 0);
      continue;
    }
    switch (type) {
      case 0x00:  // PADDING
      case 0x01:  // PING
      case 0x1e:  // HANDSHAKE_DONE
        break;
      case 0x02:  // ACK
      case 0x03: {  // ACK with ECN counts: largest, delay, range count, first range, ranges
        skip_varints(2);
        const std::uint64_t ranges = quic_varint(r);
        quic_varint(r);
        for (std::uint64_t i = 0; i < ranges && r.ok(); ++i) skip_varints(2);  // each at least two bytes
        if (type == 0x03) skip_varints(3);
        break;
      }
      case 0x04: {  // RESET_STREAM: id, error code, final size
        const std::uint64_t id = quic_varint(r);
        skip_varints(2);
        if (r.ok()) sink.on_reset(id);
        break;
      }
      case 0x05:  // STOP_SENDING: id, error code
      case 0x11:  // MAX_STREAM_DATA: id, maximum
      case 0x15:  // STREAM_DATA_BLOCKED: id, limit
        skip_varints(2);
        break;
      case 0x06: {  // CRYPTO
        const std::uint64_t offset = quic_varint(r);
        const core::Bytes data = r.take(quic_varint(r));
        if (!r.ok() || offset > (std::uint64_t{1} << 62) - data.size() || !sink.on_crypto(offset, data)) return false;
        break;
      }
      case 0x07:  // NEW_TOKEN
        r.take(quic_varint(r));
        break;
      case 0x10:  // MAX_DATA
      case 0x12:  // MAX_STREAMS (bidirectional)
      case 0x13:  // MAX_STREAMS (unidirectional)
      case 0x14:  // DATA_BLOCKED
      case 0x16:  // STREAMS_BLOCKED (bidirectional)
      case 0x17:  // STREAMS_BLOCKED (unidirectional)
      case 0x19:  // RETIRE_CONNECTION_ID
        quic_varint(r);
        break;
      case 0x18: {  // NEW_CONNECTION_ID: sequence, retire prior to, length, ID, reset token
        skip_varints(2);
        const std::uint8_t length = r.u8();
        if (length < 1 || length > 20) return false;
        r.take(length + 16u);
        break;
      }
      case 0x1a:  // PATH_CHALLENGE
      case 0x1b:  // PATH_RESPONSE
        r.take(8);
        break;
      case 0x1c:  // CONNECTION_CLOSE (transport): error, frame type, reason
        skip_varints(2);
        r.take(quic_varint(r));
        break;
      case 0x1d:  // CONNECTION_CLOSE (application): error, reason
        quic_varint(r);
        r.take(quic_varint(r));
        break;
      case 0x30:  // DATAGRAM to the packet's end (RFC 9221 §4)
        r.take(r.remaining());
        break;
      case 0x31:  // DATAGRAM with a length
        r.take(quic_varint(r));
        break;
      case 0x1f:  // IMMEDIATE_ACK (draft-ietf-quic-ack-frequency)
        break;
      case 0xaf:  // ACK_FREQUENCY: sequence, threshold, max ack delay, reordering threshold
        skip_varints(4);
        break;
      case 0x2f5:  // TIMESTAMP (draft-huitema-quic-ts), as picoquic sends it
        quic_varint(r);
        break;
      default:
        return false;
    }
  }
  return r.ok();
}

}  // namespace tattle::dissect
