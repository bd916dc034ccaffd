// The QUIC Initial reader and the QUIC dissector on arbitrary bytes. The input is read three
// ways: as the frames of a decrypted Initial payload (the frame reader and CRYPTO reassembly,
// which mutated ciphertext would never reach past the AEAD); as one client datagram; and as a
// flow of datagrams, each behind a 2-byte length whose top bit marks the server's, fed to the
// dissector the flow's first datagram chooses.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "decode/packet.hpp"
#include "dissect/quic.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  const core::Bytes input(data, size);
  std::uint64_t sum = 0;
  core::Counters<dissect::QuicCounter> counters;

  dissect::QuicCryptoStream stream;
  dissect::read_initial_frames(input, stream);
  const core::Bytes prefix = stream.contiguous();
  dissect::ClientHello hello;
  if (prefix.size() > 4 && dissect::parse_client_hello(prefix.subspan(4), hello)) sum += hello.sni.size();

  dissect::QuicInitialReader reader(counters);
  reader.on_datagram(input);
  if (reader.state() == dissect::QuicInitialReader::State::kRead) sum += reader.client_hello().alpn.size();

  flow::DissectorTable table;
  dissect::add_quic(table, counters);
  core::ByteReader r(input);
  std::unique_ptr<flow::Dissector> quic;
  while (r.remaining() >= 2) {
    const std::uint16_t header = r.u16be();
    const auto dir = (header & 0x8000) != 0 ? flow::Direction::kFromServer : flow::Direction::kFromClient;
    const core::Bytes datagram = r.take(std::min<std::size_t>(header & 0x7fff, r.remaining()));
    if (!quic) {
      flow::FlowContext ctx;
      ctx.ip_proto = decode::ip_proto::kUdp;
      ctx.first_dir = dir;
      ctx.first_payload = datagram;
      quic = table.choose(ctx);
      if (!quic) break;
    }
    if (quic->on_datagram(dir, core::Timestamp{}, datagram).kind == flow::Progress::Kind::kReject) {
      quic.reset();  // as the flow table does
      break;
    }
  }
  if (quic) {
    quic->on_close();
    flow::FlowRecord rec;
    quic->annotate(rec);
    for (char c : rec.ja4) sum += static_cast<unsigned char>(c);
  }
  for (const auto v : counters.values) sum += v;
  return sum == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;
}
