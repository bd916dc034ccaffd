// TLS 1.3 decryption in the TCP dissector on arbitrary conversations: the input is a series of
// chunks, each a direction byte (even: the client), a 16-bit length and that many stream bytes.
// The key log holds RFC 8448 §3's four traffic secrets for whatever random the first chunk's
// ClientHello would carry (and a TLS 1.2 master secret), so a seed made of that trace's records
// decrypts all the way, and the
// fuzzer's changes reach the ServerHello reader, the record framing, the key changes and the
// failure paths. The flow is then annotated as at its end.
#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "decode/packet.hpp"
#include "decrypt/keylog.hpp"
#include "dissect/tcp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle;
  // The ClientHello's random: after the record header (5), the handshake header (4) and the
  // legacy version (2) of the first chunk (which begins after its own 3-byte header).
  constexpr std::size_t kRandomAt = 3 + 5 + 4 + 2;
  if (size < kRandomAt + 32) return 0;
  std::string random;
  for (std::size_t i = 0; i < 32; ++i) random += fmt::format("{:02x}", data[kRandomAt + i]);
  decrypt::KeyLog keylog;
  keylog.add_text("CLIENT_HANDSHAKE_TRAFFIC_SECRET " + random +
                  " b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21\n"
                  "SERVER_HANDSHAKE_TRAFFIC_SECRET " + random +
                  " b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38\n"
                  "CLIENT_TRAFFIC_SECRET_0 " + random +
                  " 9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5\n"
                  "CLIENT_RANDOM " + random + " " + std::string(96, '7') + "\n"
                  "SERVER_TRAFFIC_SECRET_0 " + random +
                  " a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643\n");
  dissect::TcpDissectorCounters counters;
  flow::DissectorTable table;
  dissect::add_tcp(table, counters, &keylog);
  flow::FlowContext ctx;
  ctx.ip_proto = decode::ip_proto::kTcp;
  auto tcp = table.choose(ctx);
  // Each direction keeps what was not consumed, as StreamFeed does.
  std::string pending[2];
  bool done[2] = {false, false};
  for (std::size_t at = 0; at + 3 <= size;) {
    const int side = data[at] % 2;
    const std::size_t length = std::min<std::size_t>(std::size_t{data[at + 1]} << 8 | data[at + 2], size - at - 3);
    pending[side].append(reinterpret_cast<const char*>(data + at + 3), length);
    at += 3 + length;
    if (done[side]) continue;
    const core::Bytes bytes(reinterpret_cast<const std::uint8_t*>(pending[side].data()), pending[side].size());
    const auto p = tcp->on_stream(side == 0 ? flow::Direction::kFromClient : flow::Direction::kFromServer,
                                  core::Timestamp{1}, bytes);
    if (p.kind == flow::Progress::Kind::kReject) return 0;
    if (p.kind == flow::Progress::Kind::kFinished) done[side] = true;
    if (p.kind == flow::Progress::Kind::kConsumed) pending[side].erase(0, std::min(p.consumed, pending[side].size()));
  }
  tcp->on_close();
  flow::FlowRecord r;
  tcp->annotate(r);
  if (r.decrypted && !r.decrypt_reason.empty()) std::abort();
  return 0;
}
