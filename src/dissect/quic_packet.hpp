// QUIC packet protection past the Initials (RFC 9001 §5; RFC 9369 for v2): keys from a TLS
// traffic secret, header protection with AES or ChaCha20, the payload's AEAD, key updates
// (§6), and the frames of a decrypted payload (RFC 9000 §19). Pure: no flows, no I/O; the
// cryptography is OpenSSL 3's, through decrypt::RecordOpener for the AEAD.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/byte_reader.hpp"
#include "decrypt/key_schedule.hpp"
#include "decrypt/record.hpp"

namespace tattle::dissect {

// One direction's keys at one encryption level (and key phase).
class QuicPacketKeys {
 public:
  QuicPacketKeys();
  ~QuicPacketKeys();
  QuicPacketKeys(QuicPacketKeys&&) noexcept;
  QuicPacketKeys& operator=(QuicPacketKeys&&) noexcept;

  // From a traffic secret (RFC 9001 §5.1): "quic key", "quic iv", "quic hp" ("quicv2 ..." for
  // v2). `hash` and `aead` are the TLS cipher suite's. False when the secret's size is not the
  // hash's, or OpenSSL fails.
  bool derive(std::uint32_t version, decrypt::Hash hash, decrypt::Aead aead, core::Bytes secret);
  // The keys of the next key phase (RFC 9001 §6.1: "quic ku"); the header protection key stays.
  [[nodiscard]] bool next(QuicPacketKeys& out) const;
  [[nodiscard]] bool ready() const { return ready_; }

  // Removes header protection from the packet at the front of `packet` (its packet number at
  // `pn_offset`) and opens its payload. `long_header` says which bits of the first byte are
  // protected. `expected_pn` is one more than the largest packet number opened in this packet
  // number space. On success `header` holds the unprotected header, `payload` the frames, and
  // `pn` and `key_phase` are set. False when the packet is too short or its tag does not verify.
  bool open(core::Bytes packet, std::size_t pn_offset, bool long_header, std::uint64_t expected_pn,
            std::vector<std::uint8_t>& header, std::vector<std::uint8_t>& payload, std::uint64_t& pn,
            bool& key_phase);

 private:
  bool mask(core::Bytes sample, std::array<std::uint8_t, 5>& out) const;

  std::uint32_t version_ = 0;
  decrypt::Hash hash_ = decrypt::Hash::kSha256;
  decrypt::Aead aead_ = decrypt::Aead::kAes128Gcm;
  std::vector<std::uint8_t> secret_;
  std::array<std::uint8_t, 32> hp_{};
  std::array<std::uint8_t, 12> iv_{};
  std::unique_ptr<decrypt::RecordOpener> opener_;
  bool ready_ = false;
};

// What a decrypted payload's frames carried, handed to the reader as they are read.
class QuicFrameSink {
 public:
  virtual ~QuicFrameSink() = default;
  // False stops the reading (the data could not be taken).
  virtual bool on_crypto(std::uint64_t offset, core::Bytes data) = 0;
  virtual void on_stream(std::uint64_t stream_id, std::uint64_t offset, core::Bytes data, bool fin) = 0;
  virtual void on_reset(std::uint64_t stream_id) = 0;
};

// Reads every frame of a payload (RFC 9000 §19; RFC 9221's DATAGRAM; the ACK_FREQUENCY and
// IMMEDIATE_ACK of draft-ietf-quic-ack-frequency and picoquic's TIMESTAMP); false at a frame
// that is damaged or of a type not known here: the frames after it are not read. With
// `handshake`, the payload is an Initial or Handshake packet's, where only PADDING, PING, ACK,
// CRYPTO and a transport CONNECTION_CLOSE may be (RFC 9000 Table 3): any other is refused too.
bool read_quic_frames(core::Bytes payload, QuicFrameSink& sink, bool handshake = false);

// A variable-length integer (RFC 9000 §16).
std::uint64_t quic_varint(core::ByteReader& r);
// A packet number from its truncated `bits`-bit form, the nearest to `expected` (RFC 9000 §17.1).
std::uint64_t quic_packet_number(std::uint64_t expected, std::uint64_t truncated, unsigned bits);

}  // namespace tattle::dissect
