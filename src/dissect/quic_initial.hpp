// QUIC Initial packets from a client (QUIC v1: RFC 9000 §17.2.2, RFC 9001 §5; v2: RFC 9369).
// Their keys are derived from the Destination Connection ID the packet itself carries, so an
// observer can read them: this module removes their protection, reassembles the CRYPTO stream
// (a ClientHello may span several packets and datagrams, in any order) and parses the
// ClientHello. Pure: no flows, no I/O. All cryptography goes through OpenSSL 3's EVP interface.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/byte_reader.hpp"
#include "core/counter.hpp"
#include "dissect/tls.hpp"
#include "dissect/tls_client_hello.hpp"

namespace tattle::dissect {

enum class QuicCounter {
  kFlows,         // UDP flows opened by a client's QUIC Initial (or 0-RTT) packet of a version read
  kInitials,      // client Initial packets decrypted and authenticated
  kAuthFailed,    // client Initial packets whose authentication tag did not verify
  kClientHellos,  // ClientHellos read
  kMalformed,     // packets that could not be read, or CRYPTO streams that held no ClientHello
  kTooLarge,      // ClientHellos longer than kMaxClientHello: counted, not read
  kIncomplete,    // flows that ended before their ClientHello was whole
  kDecryptedFlows,     // flows whose Handshake and 1-RTT packets read decrypted with logged keys
  kPacketsDecrypted,   // Handshake and 1-RTT packets opened and verified
  kPacketsFailed,      // Handshake and 1-RTT packets whose tag did not verify
  kStreamBytes,        // stream data decrypted and put in order
  kCount,
};
std::string_view counter_name(QuicCounter c);

inline constexpr std::uint32_t kQuicV1 = 0x00000001;
inline constexpr std::uint32_t kQuicV2 = 0x6b3343cf;

// The versions whose Initial packets are read: v1, v2, and the Internet-Draft versions 23 to 32
// (0xff000017 to 0xff000020) that clients deployed before RFC 9000 and older captures hold; the
// drafts number packet types and label keys as v1 does, with their own salts.
bool quic_version_read(std::uint32_t version);

// True when `datagram` begins as a client's first flight does: with a long-header Initial or
// 0-RTT packet of a version read here (a 0-RTT packet sent with the Initial can arrive first). Reads
// the first five bytes only, so that every UDP flow can be asked.
bool starts_quic_first_flight(core::Bytes datagram);

// The client's Initial packet protection keys (RFC 9001 §5.2; RFC 9369 §3.3).
struct QuicInitialKeys {
  std::array<std::uint8_t, 16> key{};  // AEAD_AES_128_GCM
  std::array<std::uint8_t, 12> iv{};
  std::array<std::uint8_t, 16> hp{};   // AES-128 header protection
};
// Derives them from the first Initial's Destination Connection ID. False for a version other
// than those quic_version_read() names, or when OpenSSL fails.
bool derive_client_initial_keys(std::uint32_t version, core::Bytes dcid, QuicInitialKeys& out);
// The client's or (`server`) the server's: both from the client's first Destination Connection ID.
bool derive_initial_keys(std::uint32_t version, core::Bytes dcid, bool server, QuicInitialKeys& out);

enum class QuicPacketType : std::uint8_t { kInitial, kZeroRtt, kHandshake, kRetry };

// A long-header packet of a version read here; its spans point into the datagram it was read from.
struct QuicLongHeader {
  std::uint32_t version = 0;
  QuicPacketType type = QuicPacketType::kInitial;
  core::Bytes dcid, scid, token;  // token: Initial packets only
  std::size_t pn_offset = 0;      // of the (protected) packet number, from the packet's start
  core::Bytes packet;             // the whole packet, first byte to the end of its tag
};
// Reads the long-header packet (of a version read here) at the front of `datagram` (RFC 9000 §17.2); what
// follows `out.packet` in the datagram is the next coalesced packet. False when the version is
// neither, the packet is a Retry (it has no length: only servers send it), or the header or the
// length it gives does not fit.
bool read_long_header(core::Bytes datagram, QuicLongHeader& out);

// An Initial packet with its protection removed.
struct QuicOpenedPacket {
  std::uint64_t packet_number = 0;
  std::vector<std::uint8_t> header;   // unprotected: the AEAD's associated data
  std::vector<std::uint8_t> payload;  // the frames
};
// Removes header protection (RFC 9001 §5.4) and decrypts the payload (§5.3). `expected_pn` is
// one more than the largest packet number authenticated so far (0 before any), from which the
// full packet number is recovered (RFC 9000 §17.1). False when the packet is too short to
// sample or its authentication tag does not verify; `out` is then unspecified.
bool open_initial(const QuicLongHeader& h, const QuicInitialKeys& keys, std::uint64_t expected_pn,
                  QuicOpenedPacket& out);

// The client's CRYPTO stream at the Initial level, reassembled by offset. Holds at most
// kMaxBytes (the first ClientHello and its header); data beyond is dropped.
class QuicCryptoStream {
 public:
  static constexpr std::size_t kMaxBytes = 4 + kMaxClientHello;  // handshake header and body
  static constexpr std::size_t kMaxPieces = 64;  // disjoint ranges held at once

  // False when the data would leave more than kMaxPieces disjoint ranges.
  bool add(std::uint64_t offset, core::Bytes data);
  // The bytes from offset 0 up to the first hole.
  [[nodiscard]] core::Bytes contiguous() const;
  void release();

 private:
  std::vector<std::uint8_t> data_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;  // [begin, end), sorted, disjoint
};

// Reads the frames of a decrypted Initial payload (RFC 9000 §12.4, §19): PADDING, PING, ACK
// (with ECN counts or not), CRYPTO and a transport CONNECTION_CLOSE; CRYPTO data goes to
// `stream`. False at a frame that is damaged or not allowed in an Initial packet: the frames
// after it are not read; CRYPTO data before it has been taken.
bool read_initial_frames(core::Bytes payload, QuicCryptoStream& stream);

// Follows one client's Initial packets until its first ClientHello is read. Feed it the
// client's datagrams; the server's tell it nothing. Keys are derived once per Destination
// Connection ID and kept. Every outcome is counted in `counters`, which must outlive it.
class QuicInitialReader {
 public:
  enum class State : std::uint8_t { kReading, kRead, kGivenUp };

  explicit QuicInitialReader(core::Counters<QuicCounter>& counters) : counters_(counters) {}

  // One UDP payload from the client: its coalesced long-header packets are read in turn; a
  // short-header (1-RTT) packet ends the datagram. Does nothing once the state is not kReading.
  void on_datagram(core::Bytes datagram);

  [[nodiscard]] State state() const { return state_; }
  // Valid when state() is kRead.
  [[nodiscard]] const ClientHello& client_hello() const { return hello_; }
  // Of the client's first Initial packet: its version and Destination Connection ID (the
  // Initial keys of both sides come from it), and its Source Connection ID's length.
  [[nodiscard]] std::uint32_t version() const { return version_; }
  [[nodiscard]] core::Bytes first_dcid() const { return first_dcid_; }
  [[nodiscard]] std::size_t scid_length() const { return scid_length_; }

  // Initial packets that fail authentication before a flow is given up: enough for a
  // client's retransmissions, few enough that a flow of junk costs little.
  static constexpr int kMaxAuthFailures = 16;
  // Connection IDs whose keys are kept: the first, and a few the client moved on to (after a
  // Retry, or the server's choice).
  static constexpr std::size_t kMaxKeySets = 4;

 private:
  struct KeySet {
    std::uint32_t version = 0;
    std::vector<std::uint8_t> dcid;
    QuicInitialKeys keys;
  };

  void on_initial(const QuicLongHeader& h);
  const KeySet* keys_for(std::uint32_t version, core::Bytes dcid);
  bool open_with_keys(const QuicLongHeader& h);
  void take_client_hello();
  void finish(State s);

  core::Counters<QuicCounter>& counters_;
  State state_ = State::kReading;
  std::vector<KeySet> keys_;  // keys_[0]: the first Initial's Destination Connection ID
  std::optional<std::uint64_t> largest_pn_;
  int auth_failures_ = 0;
  QuicOpenedPacket opened_;  // reused for every packet
  QuicCryptoStream crypto_;
  ClientHello hello_;
  std::uint32_t version_ = 0;
  std::vector<std::uint8_t> first_dcid_;
  std::size_t scid_length_ = 0;
};

}  // namespace tattle::dissect
