#include "dissect/quic.hpp"

#include <memory>

#include "decode/packet.hpp"
#include "flow/flow_record.hpp"

namespace tattle::dissect {

namespace {

class QuicDissector final : public flow::Dissector {
 public:
  QuicDissector(core::Counters<QuicCounter>& counters, decrypt::KeyLog* keylog)
      : counters_(counters), keylog_(keylog), reader_(counters) {}

  flow::Progress on_datagram(flow::Direction dir, core::Timestamp, core::Bytes payload) override {
    if (dir == flow::Direction::kFromClient && reader_.state() == QuicInitialReader::State::kReading) {
      reader_.on_datagram(payload);
      if (reader_.state() == QuicInitialReader::State::kGivenUp) return flow::Progress::reject();
    }
    // Once the ClientHello is read, the rest of the flow is not looked at.
    if (reader_.state() == QuicInitialReader::State::kRead) return flow::Progress::finished();
    return flow::Progress::done(payload.size());
  }

  flow::Progress on_stream(flow::Direction, core::Timestamp, core::Bytes) override {
    return flow::Progress::reject();
  }
  flow::Progress on_gap(flow::Direction, std::uint64_t) override { return flow::Progress::reject(); }

  void on_close() override {
    if (reader_.state() == QuicInitialReader::State::kReading) ++counters_[QuicCounter::kIncomplete];
  }

  void annotate(flow::FlowRecord& r) override {
    if (reader_.state() != QuicInitialReader::State::kRead) return;
    const ClientHello& hello = reader_.client_hello();
    r.ja4 = ja4(hello, 'q');
    r.alpn = hello.alpn;
    r.tls_versions = offered_versions(hello);
    r.sni = hello.sni;
    r.add_name(hello.sni, flow::NameSource::kQuic);
    // Decryption past the Initials is still to come: a flow with keys says so.
    r.decrypt_reason = keylog_ != nullptr && keylog_->has(hello.random) ? "quic" : "no_key";
  }

 private:
  core::Counters<QuicCounter>& counters_;
  decrypt::KeyLog* keylog_;
  QuicInitialReader reader_;
};

}  // namespace

void add_quic(flow::DissectorTable& table, core::Counters<QuicCounter>& counters, decrypt::KeyLog* keylog) {
  table.add([&counters, keylog](const flow::FlowContext& flow) -> std::unique_ptr<flow::Dissector> {
    if (flow.ip_proto != decode::ip_proto::kUdp || flow.first_dir != flow::Direction::kFromClient ||
        !starts_quic_first_flight(flow.first_payload))
      return nullptr;
    ++counters[QuicCounter::kFlows];
    return std::make_unique<QuicDissector>(counters, keylog);
  });
}

}  // namespace tattle::dissect
