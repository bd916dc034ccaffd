// One QUIC connection decrypted past its Initials with the key log's secrets (RFC 9001): the
// server's Initial packets for its ServerHello (the cipher suite), then both sides' Handshake
// and 1-RTT packets, short headers found by the connection IDs' lengths, key updates followed,
// and each stream's data put back in order (RFC 9000 §2.2) and handed on as it becomes
// contiguous. Bounded: streams and the out-of-order data each holds are capped.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "core/counter.hpp"
#include "decrypt/keylog.hpp"
#include "dissect/quic_initial.hpp"
#include "dissect/quic_packet.hpp"

namespace tattle::dissect {

class QuicSession {
 public:
  static constexpr std::size_t kMaxStreams = 256;               // per direction, at once
  static constexpr std::size_t kMaxOutOfOrder = 256 * 1024;     // bytes held per stream
  static constexpr std::size_t kMaxServerHello = 64 * 1024;

  // Contiguous stream data, in order: the stream, who sent it, the bytes (valid during the
  // call), and whether the stream ends with them.
  using StreamData = std::function<void(std::uint64_t id, bool from_client, core::Bytes data, bool fin)>;

  // `odcid`: the Destination Connection ID of the client's first Initial; `client_cid_length`:
  // the Source Connection ID length of the client's Initials (its short headers' DCID length).
  QuicSession(std::uint32_t version, core::Bytes odcid, std::size_t client_cid_length,
              decrypt::KeyLog::Secrets secrets, StreamData on_data);

  // A UDP payload of the connection, from either side, in capture order.
  void on_datagram(bool from_client, core::Bytes datagram);

  [[nodiscard]] std::uint64_t packets_opened() const { return opened_; }  // Handshake and 1-RTT
  [[nodiscard]] std::uint64_t packets_failed() const { return failed_; }
  [[nodiscard]] std::uint64_t one_rtt_opened() const { return one_rtt_opened_; }
  [[nodiscard]] std::uint64_t stream_bytes() const { return stream_bytes_; }
  [[nodiscard]] std::uint64_t stream_bytes_dropped() const { return dropped_; }
  // Packets with a frame not read (damaged, or of a type not known here): what followed it in
  // the packet is missing.
  [[nodiscard]] std::uint64_t packets_unread() const { return unread_; }
  // Why nothing was decrypted, or the first thing that went wrong: "" when all went well.
  [[nodiscard]] std::string_view problem() const { return problem_; }

 private:
  enum Level { kHandshake = 0, kOneRtt = 1 };
  struct Stream {
    std::uint64_t delivered = 0;  // bytes handed on
    std::map<std::uint64_t, std::vector<std::uint8_t>> waiting;  // out of order, by offset
    std::size_t waiting_bytes = 0;
    std::optional<std::uint64_t> fin_at;
  };
  struct Side {
    QuicPacketKeys keys[2];        // by level
    QuicPacketKeys next;           // 1-RTT: the next key phase's, made when first needed
    std::optional<std::uint64_t> largest[3];  // by packet number space: Initial, Handshake, 1-RTT
    std::map<std::uint64_t, Stream> streams;
  };

  void on_long_packet(bool from_client, const QuicLongHeader& h);
  void on_server_initial(const QuicLongHeader& h);
  bool start_keys(std::uint16_t cipher_suite);
  void open_protected(bool from_client, int level, core::Bytes packet, std::size_t pn_offset, bool long_header);
  void take_stream(bool from_client, std::uint64_t id, std::uint64_t offset, core::Bytes data, bool fin);
  void deliver(bool from_client, std::uint64_t id, Stream& s, core::Bytes data);
  void fail(std::string_view why);

  std::uint32_t version_;
  std::vector<std::uint8_t> odcid_;
  std::size_t cid_length_[2];  // the DCID length of short headers the client [0] and the server [1] send
  decrypt::KeyLog::Secrets secrets_;
  StreamData on_data_;
  QuicInitialKeys server_initial_;
  bool server_initial_ready_ = false;
  QuicCryptoStream server_crypto_;  // the server's Initial CRYPTO stream, until its ServerHello
  bool keys_started_ = false;
  Side sides_[2];  // [0] the client's packets, [1] the server's
  std::set<std::uint64_t> finished_[2];  // streams whose FIN was handed on, per side (bounded)
  std::vector<std::uint8_t> header_, payload_;  // reused for every packet
  std::uint64_t opened_ = 0, failed_ = 0, one_rtt_opened_ = 0, stream_bytes_ = 0, dropped_ = 0, unread_ = 0;
  std::string_view problem_;
};

}  // namespace tattle::dissect
