#include "dissect/quic_session.hpp"

#include <algorithm>

#include "dissect/tls_client_hello.hpp"

namespace tattle::dissect {

namespace {

constexpr std::uint8_t kLongHeaderForm = 0x80;
constexpr std::uint8_t kServerHelloType = 2;
constexpr std::size_t kHandshakeHeader = 4;
constexpr std::uint16_t kTlsAes256GcmSha384 = 0x1302;
constexpr std::size_t kMaxFinished = 65536;  // finished streams remembered, so late copies open nothing

// Binds a packet's frames to the side that sent it.
struct Frames final : QuicFrameSink {
  std::function<void(std::uint64_t, std::uint64_t, core::Bytes, bool)> stream;
  std::function<void(std::uint64_t)> reset;
  bool on_crypto(std::uint64_t, core::Bytes) override { return true; }  // the handshake's own messages: not read
  void on_stream(std::uint64_t id, std::uint64_t offset, core::Bytes data, bool fin) override {
    stream(id, offset, data, fin);
  }
  void on_reset(std::uint64_t id) override { reset(id); }
};

}  // namespace

QuicSession::QuicSession(std::uint32_t version, core::Bytes odcid, std::size_t client_cid_length,
                         decrypt::KeyLog::Secrets secrets, StreamData on_data)
    : version_(version),
      odcid_(odcid.begin(), odcid.end()),
      cid_length_{0, client_cid_length},
      secrets_(std::move(secrets)),
      on_data_(std::move(on_data)) {}

void QuicSession::fail(std::string_view why) {
  if (problem_.empty()) problem_ = why;
}

void QuicSession::on_datagram(bool from_client, core::Bytes d) {
  while (!d.empty()) {
    // Zeros after coalesced packets pad the datagram. (The fixed bit tells nothing: peers may
    // grease it, RFC 9287.)
    if (std::all_of(d.begin(), d.end(), [](std::uint8_t b) { return b == 0; })) return;
    if ((d[0] & kLongHeaderForm) == 0) {  // a short header: the rest of the datagram
      if (keys_started_) open_protected(from_client, kOneRtt, d, 1 + cid_length_[from_client ? 0 : 1], false);
      return;
    }
    QuicLongHeader h;
    if (!read_long_header(d, h)) return;
    d = d.subspan(h.packet.size());
    on_long_packet(from_client, h);
  }
}

void QuicSession::on_long_packet(bool from_client, const QuicLongHeader& h) {
  // The client's short headers carry the server's connection ID, whose length its long ones show.
  if (!from_client && cid_length_[0] == 0) cid_length_[0] = h.scid.size();
  switch (h.type) {
    case QuicPacketType::kInitial:
      if (!from_client && !keys_started_) on_server_initial(h);
      break;
    case QuicPacketType::kHandshake:
      if (keys_started_) open_protected(from_client, kHandshake, h.packet, h.pn_offset, true);
      break;
    case QuicPacketType::kZeroRtt:  // early data: not read here
    case QuicPacketType::kRetry:
      break;
  }
}

void QuicSession::on_server_initial(const QuicLongHeader& h) {
  if (!server_initial_ready_) {
    if (!derive_initial_keys(version_, odcid_, true, server_initial_)) return fail("bad_record");
    server_initial_ready_ = true;
  }
  std::optional<std::uint64_t>& largest = sides_[1].largest[0];
  QuicOpenedPacket opened;
  if (!open_initial(h, server_initial_, largest ? *largest + 1 : 0, opened)) {
    ++failed_;
    return;
  }
  largest = std::max(largest.value_or(0), opened.packet_number);
  if (!read_initial_frames(opened.payload, server_crypto_)) return;
  const core::Bytes s = server_crypto_.contiguous();
  if (s.size() < kHandshakeHeader) return;
  const std::size_t length = std::size_t{s[1]} << 16 | std::size_t{s[2]} << 8 | s[3];
  if (s[0] != kServerHelloType || length > kMaxServerHello) return fail("bad_record");
  if (s.size() < kHandshakeHeader + length) return;
  ServerHello hello;
  if (!parse_server_hello(s.subspan(kHandshakeHeader, length), hello)) return fail("bad_record");
  server_crypto_.release();
  if (!start_keys(hello.cipher_suite)) keys_started_ = false;
}

bool QuicSession::start_keys(std::uint16_t cipher_suite) {
  const auto aead = decrypt::tls13_aead(cipher_suite);
  if (!aead || *aead == decrypt::Aead::kAes128Ccm8) {
    fail("unsupported_suite");
    return false;
  }
  const decrypt::Hash hash = cipher_suite == kTlsAes256GcmSha384 ? decrypt::Hash::kSha384 : decrypt::Hash::kSha256;
  using decrypt::Secret;
  const auto derive = [&](QuicPacketKeys& k, Secret s) { return k.derive(version_, hash, *aead, secrets_.get(s)); };
  if (!derive(sides_[0].keys[kHandshake], Secret::kClientHandshakeTraffic) ||
      !derive(sides_[1].keys[kHandshake], Secret::kServerHandshakeTraffic) ||
      !derive(sides_[0].keys[kOneRtt], Secret::kClientTraffic0) ||
      !derive(sides_[1].keys[kOneRtt], Secret::kServerTraffic0)) {
    fail("missing_secrets");
    return false;
  }
  secrets_ = {};
  keys_started_ = true;
  return true;
}

void QuicSession::open_protected(bool from_client, int level, core::Bytes packet, std::size_t pn_offset,
                                 bool long_header) {
  Side& s = sides_[from_client ? 0 : 1];
  std::optional<std::uint64_t>& largest = s.largest[level + 1];
  const std::uint64_t expected = largest ? *largest + 1 : 0;
  std::uint64_t pn = 0;
  bool phase = false;
  bool ok = s.keys[level].open(packet, pn_offset, long_header, expected, header_, payload_, pn, phase);
  if (!ok && level == kOneRtt) {
    // A key update (RFC 9001 §6): the next phase's keys, made once and then kept as current.
    if (!s.next.ready()) (void)s.keys[kOneRtt].next(s.next);
    if (s.next.ready() && s.next.open(packet, pn_offset, long_header, expected, header_, payload_, pn, phase)) {
      ok = true;
      std::swap(s.keys[kOneRtt], s.next);
      s.next = QuicPacketKeys{};
    }
  }
  if (!ok) {
    // Never guessed at: a packet that does not authenticate adds nothing.
    ++failed_;
    return;
  }
  ++opened_;
  if (level == kOneRtt) ++one_rtt_opened_;
  largest = std::max(largest.value_or(0), pn);
  Frames frames;
  frames.stream = [&](std::uint64_t id, std::uint64_t offset, core::Bytes data, bool fin) {
    take_stream(from_client, id, offset, data, fin);
  };
  frames.reset = [&](std::uint64_t id) {
    const auto it = s.streams.find(id);
    if (it != s.streams.end()) {
      dropped_ += it->second.waiting_bytes;
      s.streams.erase(it);
    }
  };
  if (!read_quic_frames(payload_, frames, level == kHandshake)) ++unread_;
}

void QuicSession::take_stream(bool from_client, std::uint64_t id, std::uint64_t offset, core::Bytes data, bool fin) {
  Side& side = sides_[from_client ? 0 : 1];
  if (finished_[from_client ? 0 : 1].count(id) != 0) return;
  auto it = side.streams.find(id);
  if (it == side.streams.end()) {
    if (side.streams.size() >= kMaxStreams) {
      dropped_ += data.size();
      return;
    }
    it = side.streams.emplace(id, Stream{}).first;
  }
  Stream& st = it->second;
  if (fin) st.fin_at = offset + data.size();
  const std::uint64_t end = offset + data.size();
  if (offset > st.delivered) {  // ahead of what was handed on: held until the hole fills
    if (st.waiting_bytes + data.size() > kMaxOutOfOrder) {
      dropped_ += data.size();
      return;
    }
    auto& held = st.waiting[offset];
    if (held.size() < data.size()) {
      st.waiting_bytes += data.size() - held.size();
      held.assign(data.begin(), data.end());
    }
    return;
  }
  if (end > st.delivered) deliver(from_client, id, st, data.subspan(st.delivered - offset));
  // What was held and now follows on.
  while (!st.waiting.empty() && st.waiting.begin()->first <= st.delivered) {
    auto node = st.waiting.extract(st.waiting.begin());
    st.waiting_bytes -= node.mapped().size();
    const std::uint64_t held_end = node.key() + node.mapped().size();
    if (held_end > st.delivered)
      deliver(from_client, id, st, core::Bytes(node.mapped()).subspan(st.delivered - node.key()));
  }
  if (st.fin_at && st.delivered >= *st.fin_at) {
    on_data_(id, from_client, {}, true);
    auto& finished = finished_[from_client ? 0 : 1];
    if (finished.size() < kMaxFinished) finished.insert(id);
    side.streams.erase(it);
  }
}

void QuicSession::deliver(bool from_client, std::uint64_t id, Stream& s, core::Bytes data) {
  s.delivered += data.size();
  stream_bytes_ += data.size();
  on_data_(id, from_client, data, false);
}

}  // namespace tattle::dissect
