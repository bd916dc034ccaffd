// QUIC past its Initials on arbitrary bytes: the input is read as a decrypted payload's frames,
// then as a datagram that RFC 9001 Appendix A.5's keys try to open (a short header without a
// connection ID), and as datagrams of a connection whose secrets are logged (both sides', in
// turn), so that header parsing, key updates and stream reassembly see what they are fed.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dissect/quic_packet.hpp"
#include "dissect/quic_session.hpp"

namespace {

struct Sink final : tattle::dissect::QuicFrameSink {
  bool on_crypto(std::uint64_t offset, tattle::core::Bytes data) override {
    sum += offset + data.size();
    return true;
  }
  void on_stream(std::uint64_t id, std::uint64_t offset, tattle::core::Bytes data, bool fin) override {
    sum += id + offset + data.size() + (fin ? 1 : 0);
  }
  void on_reset(std::uint64_t id) override { sum += id; }
  std::uint64_t sum = 0;
};

std::vector<std::uint8_t> unhex(const char* s) {
  std::vector<std::uint8_t> out;
  for (; s[0] != 0 && s[1] != 0; s += 2) {
    const auto nibble = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
    out.push_back(static_cast<std::uint8_t>(nibble(s[0]) << 4 | nibble(s[1])));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  const core::Bytes input(data, size);
  Sink sink;
  dissect::read_quic_frames(input, sink);

  static const auto secret = unhex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
  dissect::QuicPacketKeys keys;
  std::vector<std::uint8_t> header, payload;
  std::uint64_t pn = 0;
  bool phase = false;
  if (keys.derive(1, decrypt::Hash::kSha256, decrypt::Aead::kChaCha20Poly1305, secret) &&
      keys.open(input, 1, false, 654360564, header, payload, pn, phase))
    dissect::read_quic_frames(payload, sink);

  // A session with every secret logged: what it is fed is mostly refused, never crashes.
  decrypt::KeyLog::Secrets secrets;
  for (auto& s : secrets.of) s = secret;
  std::uint64_t streamed = 0;
  dissect::QuicSession session(1, core::Bytes(secret).first(8), 8, secrets,
                               [&](std::uint64_t, bool, core::Bytes d, bool) { streamed += d.size(); });
  const std::size_t half = size / 2;
  session.on_datagram(true, input.first(half));
  session.on_datagram(false, input.subspan(half));
  return sink.sum + streamed + session.packets_failed() == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
