#include "dissect/quic.hpp"

#include <memory>

#include "decode/packet.hpp"
#include "dissect/http3.hpp"
#include "dissect/quic_session.hpp"
#include "flow/flow_record.hpp"

namespace tattle::dissect {

namespace {

class QuicDissector final : public flow::Dissector {
 public:
  QuicDissector(core::Counters<QuicCounter>& counters, decrypt::KeyLog* keylog, const HttpContext& http)
      : counters_(counters), keylog_(keylog), http_(http), reader_(counters) {}

  flow::Progress on_datagram(flow::Direction dir, core::Timestamp ts, core::Bytes payload) override {
    const bool from_client = dir == flow::Direction::kFromClient;
    now_ = ts;
    if (session_ != nullptr) {
      session_->on_datagram(from_client, payload);
      return flow::Progress::done(payload.size());
    }
    if (from_client && reader_.state() == QuicInitialReader::State::kReading) {
      reader_.on_datagram(payload);
      if (reader_.state() == QuicInitialReader::State::kGivenUp) return flow::Progress::reject();
      if (reader_.state() == QuicInitialReader::State::kRead) start_session();
      if (session_ != nullptr) return flow::Progress::done(payload.size());
    }
    // Once the ClientHello is read, a connection without keys is not looked at any more.
    if (reader_.state() == QuicInitialReader::State::kRead) return flow::Progress::finished();
    return flow::Progress::done(payload.size());
  }

  flow::Progress on_stream(flow::Direction, core::Timestamp, core::Bytes) override {
    return flow::Progress::reject();
  }
  flow::Progress on_gap(flow::Direction, std::uint64_t) override { return flow::Progress::reject(); }

  void on_close() override {
    if (reader_.state() == QuicInitialReader::State::kReading) ++counters_[QuicCounter::kIncomplete];
    if (http3_ != nullptr) http3_->finish();
  }

  void annotate(flow::FlowRecord& r) override {
    if (reader_.state() != QuicInitialReader::State::kRead) return;
    const ClientHello& hello = reader_.client_hello();
    if (http3_ != nullptr) http3_->annotate(r);
    r.ja4 = ja4(hello, 'q');
    r.alpn = hello.alpn;
    r.tls_versions = offered_versions(hello);
    r.sni = hello.sni;
    r.add_name(hello.sni, flow::NameSource::kQuic);
    if (session_ == nullptr) {
      r.decrypt_reason = "no_key";
      return;
    }
    counters_[QuicCounter::kPacketsDecrypted] += session_->packets_opened();
    counters_[QuicCounter::kPacketsFailed] += session_->packets_failed();
    counters_[QuicCounter::kStreamBytes] += session_->stream_bytes();
    counters_[QuicCounter::kMalformed] += session_->packets_unread();
    r.decrypted = session_->one_rtt_opened() > 0 && session_->packets_failed() == 0 && session_->problem().empty();
    if (r.decrypted) ++counters_[QuicCounter::kDecryptedFlows];
    else if (!session_->problem().empty()) r.decrypt_reason = session_->problem();
    else r.decrypt_reason = session_->packets_failed() > 0 ? "bad_record" : "no_records";
  }

 private:
  // With the connection's secrets logged, the rest of the flow is decrypted, and its streams
  // read as HTTP/3 when the client offered it (ALPN "h3", or a draft's "h3-29").
  void start_session() {
    decrypt::KeyLog::Secrets secrets;
    const ClientHello& hello = reader_.client_hello();
    if (keylog_ == nullptr || !keylog_->copy_secrets(hello.random, secrets)) return;
    const bool h3 = std::any_of(hello.alpn.begin(), hello.alpn.end(),
                                [](const std::string& p) { return p == "h3" || p.starts_with("h3-"); });
    if (h3 && http_.counters != nullptr) http3_ = std::make_unique<Http3Connection>(http_);
    session_ = std::make_unique<QuicSession>(
        reader_.version(), reader_.first_dcid(), reader_.scid_length(), std::move(secrets),
        [this](std::uint64_t id, bool from_client, core::Bytes data, bool fin) {
          if (http3_ != nullptr) http3_->on_stream(id, from_client, data, fin, now_);
        });
  }

  core::Counters<QuicCounter>& counters_;
  decrypt::KeyLog* keylog_;
  HttpContext http_;
  QuicInitialReader reader_;
  std::unique_ptr<QuicSession> session_;
  std::unique_ptr<Http3Connection> http3_;
  core::Timestamp now_;  // of the datagram being read
};

}  // namespace

void add_quic(flow::DissectorTable& table, core::Counters<QuicCounter>& counters, decrypt::KeyLog* keylog,
              core::Counters<HttpCounter>* http_counters, HttpSink* http) {
  table.add([&counters, keylog, http_counters, http](const flow::FlowContext& flow) -> std::unique_ptr<flow::Dissector> {
    if (flow.ip_proto != decode::ip_proto::kUdp || flow.first_dir != flow::Direction::kFromClient ||
        !starts_quic_first_flight(flow.first_payload))
      return nullptr;
    ++counters[QuicCounter::kFlows];
    return std::make_unique<QuicDissector>(counters, keylog,
                                           HttpContext{http_counters, http, flow.id, flow.client, flow.server});
  });
}

}  // namespace tattle::dissect
