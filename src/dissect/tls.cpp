#include "dissect/tls.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "decrypt/record.hpp"
#include "decrypt/tls12_session.hpp"
#include "decrypt/tls13_session.hpp"
#include "dissect/http1_head.hpp"
#include "dissect/http2.hpp"
#include "dissect/tls_client_hello.hpp"
#include "flow/flow_record.hpp"
#include "flow/stream_feed.hpp"

namespace tattle::dissect {

std::string_view counter_name(TlsCounter c) {
  switch (c) {
    case TlsCounter::kClientHellos: return "client_hellos";
    case TlsCounter::kMalformed: return "malformed";
    case TlsCounter::kTooLarge: return "too_large";
    case TlsCounter::kDecryptedFlows: return "decrypted_flows";
    case TlsCounter::kRecordsDecrypted: return "records_decrypted";
    case TlsCounter::kRecordsFailed: return "records_failed";
    case TlsCounter::kApplicationBytes: return "application_bytes";
    case TlsCounter::kCount: break;
  }
  return "?";
}

namespace {

using decrypt::kRecordHeader;
constexpr std::size_t kHandshakeHeader = 4;
constexpr std::uint8_t kHandshakeRecord = decrypt::content_type::kHandshake;
constexpr std::uint8_t kClientHelloType = 1;
constexpr std::uint8_t kServerHelloType = 2;
constexpr std::uint16_t kTls10 = 0x0301;
constexpr std::uint16_t kTls12 = 0x0303;
constexpr std::uint16_t kTls13 = 0x0304;
constexpr std::size_t kMaxRecord = (1 << 14) + 2048;  // RFC 8446 §5.2: TLSCiphertext at most
// Plaintext the HTTP dissectors may leave unread per direction: a head, a line or a frame at most.
constexpr std::size_t kMaxPlainPending = 256 * 1024;
constexpr std::size_t kSniffBytes = 18;  // an HTTP method and its space, at most

// The dissector of what a decrypted connection carries, fed the plaintext of each direction as
// the TCP stream feeds a flow's dissector.
struct Inner {
  explicit Inner(std::unique_ptr<flow::Dissector> d) : dissector(std::move(d)) {}
  std::unique_ptr<flow::Dissector> dissector;
  flow::StreamFeed feeds[2] = {flow::StreamFeed(dissector, flow::Direction::kFromClient, kMaxPlainPending),
                               flow::StreamFeed(dissector, flow::Direction::kFromServer, kMaxPlainPending)};
};

class TlsDissector final : public flow::Dissector {
 public:
  TlsDissector(core::Counters<TlsCounter>& counters, decrypt::KeyLog* keylog, const HttpContext& http)
      : counters_(counters), keylog_(keylog), http_(http) {}

  flow::Progress on_stream(flow::Direction dir, core::Timestamp ts, core::Bytes bytes) override {
    const bool from_client = dir == flow::Direction::kFromClient;
    now_ = ts;
    if (from_client && state_ == State::kReading) return read_client_hello(bytes);
    // Past the ClientHello, a connection whose keys were logged is read record by record.
    if (!decrypting() || stopped_[from_client ? 0 : 1]) return flow::Progress::finished();
    return read_records(from_client, bytes);
  }

  flow::Progress on_gap(flow::Direction dir, std::uint64_t) override {
    if (dir == flow::Direction::kFromClient && state_ == State::kReading) {
      fail(TlsCounter::kMalformed);
      return flow::Progress::finished();
    }
    // Records cannot be found again after a hole, nor their sequence numbers known.
    if (decrypting()) stop(dir == flow::Direction::kFromClient, "gap");
    return flow::Progress::finished();
  }

  flow::Progress on_datagram(flow::Direction, core::Timestamp, core::Bytes) override {
    return flow::Progress::reject();
  }

  void on_close() override {
    if (inner_ != nullptr && inner_->dissector != nullptr) inner_->dissector->on_close();
  }

  void annotate(flow::FlowRecord& r) override {
    if (inner_ != nullptr && inner_->dissector != nullptr) inner_->dissector->annotate(r);
    if (state_ != State::kRead) return;
    r.ja4 = ja4(hello_, 't');
    r.tls_versions = offered_versions(hello_);
    r.add_name(hello_.sni, flow::NameSource::kSni);
    r.alpn = std::move(hello_.alpn);
    r.sni = std::move(hello_.sni);
    r.decrypted = session_ != nullptr && failed_records_ == 0 && session_->records_opened() > 0;
    if (r.decrypted) ++counters_[TlsCounter::kDecryptedFlows];
    else r.decrypt_reason = reason_.empty() ? std::string_view(session_ ? "no_records" : "no_server_hello") : reason_;
  }

 private:
  enum class State : std::uint8_t { kReading, kRead, kGivenUp };

  // Each whole record at the start of `bytes` goes to `take`, in order, until `take` returns
  // false or the bytes run out; a record whose header `fits` refuses ends the walk before it.
  // `ended` tells the two apart: ended, the progress is the bytes taken; run out, it is what
  // to wait for (the rest of a record).
  template <class Fits, class Take>
  flow::Progress walk_records(core::Bytes bytes, Fits&& fits, Take&& take, bool& ended) {
    std::size_t used = 0;
    ended = true;
    for (;;) {
      const core::Bytes rest = bytes.subspan(used);
      if (rest.size() < kRecordHeader) break;
      const std::size_t length = std::size_t{rest[3]} << 8 | rest[4];
      if (!fits(rest, length)) return flow::Progress::done(used);
      if (rest.size() < kRecordHeader + length) {
        ended = false;
        return used > 0 ? flow::Progress::done(used) : flow::Progress::need(kRecordHeader + length);
      }
      used += kRecordHeader + length;
      if (!take(rest.first(kRecordHeader + length))) return flow::Progress::done(used);
    }
    ended = false;
    return used > 0 ? flow::Progress::done(used) : flow::Progress::need(kRecordHeader);
  }

  flow::Progress read_client_hello(core::Bytes bytes) {
    bool ended = false;
    const flow::Progress p = walk_records(
        bytes,
        [&](core::Bytes header, std::size_t length) {
          if (header[0] == kHandshakeRecord && header[1] == 3 && length > 0 && length <= kMaxRecord) return true;
          fail(TlsCounter::kMalformed);
          return false;
        },
        [&](core::Bytes record) {
          const core::Bytes fragment = record.subspan(kRecordHeader);
          handshake_.insert(handshake_.end(), fragment.begin(), fragment.end());
          take_client_hello();
          return state_ == State::kReading;
        },
        ended);
    // What follows the ClientHello is read with the next bytes, when there are keys.
    return !ended || decrypting() ? p : flow::Progress::finished();
  }

  flow::Progress read_records(bool from_client, core::Bytes bytes) {
    bool ended = false;
    const flow::Progress p = walk_records(
        bytes,
        [&](core::Bytes, std::size_t length) { return length <= kMaxRecord || stop(from_client, "bad_record"); },
        [&](core::Bytes record) { return on_record(from_client, record); }, ended);
    return ended ? flow::Progress::finished() : p;
  }

  // False when this direction is done with.
  bool on_record(bool from_client, core::Bytes record) {
    if (session_ == nullptr) {
      if (record[0] == decrypt::content_type::kChangeCipherSpec) return true;
      if (from_client) {  // protected before the server chose its suite: early data, not read here
        stop(true, "early_data");
        return false;
      }
      return record[0] == kHandshakeRecord ? read_server_hello(record.subspan(kRecordHeader)) : stop(false, "bad_record");
    }
    const auto result = session_->on_record(from_client, record, [&](core::Bytes plain) {
      counters_[TlsCounter::kApplicationBytes] += plain.size();
      deliver(from_client, plain);
    });
    switch (result) {
      case decrypt::TlsSession::Result::kOpened:
        ++counters_[TlsCounter::kRecordsDecrypted];
        return true;
      case decrypt::TlsSession::Result::kSkipped:
        return true;
      case decrypt::TlsSession::Result::kFailed:
        ++counters_[TlsCounter::kRecordsFailed];
        ++failed_records_;
        return stop(from_client, "bad_record");
    }
    return false;
  }

  // The server's plaintext handshake until its ServerHello is whole; then the session, if the
  // connection is one decrypted here.
  bool read_server_hello(core::Bytes fragment) {
    server_handshake_.insert(server_handshake_.end(), fragment.begin(), fragment.end());
    if (server_handshake_.size() < kHandshakeHeader) return true;
    const std::size_t length = std::size_t{server_handshake_[1]} << 16 | std::size_t{server_handshake_[2]} << 8 |
                               server_handshake_[3];
    if (server_handshake_[0] != kServerHelloType || length > kMaxClientHello) return stop(false, "bad_record");
    if (server_handshake_.size() < kHandshakeHeader + length) return true;
    ServerHello hello;
    const bool read = parse_server_hello(core::Bytes(server_handshake_).subspan(kHandshakeHeader, length), hello);
    server_handshake_ = {};
    if (!read) return stop(false, "bad_record");
    if (hello.retry) return stop(false, "hello_retry");  // a second ClientHello would follow: not read here
    if (hello.version >= kTls10 && hello.version <= kTls12) return start_tls12(hello);
    if (hello.version != kTls13) return stop(false, "unsupported_version");  // SSL 3.0
    auto session = std::make_unique<decrypt::Tls13Session>();
    switch (session->start(hello.cipher_suite, std::move(secrets_))) {  // the session's from here
      case decrypt::Tls13Session::Start::kStarted:
        session_ = std::move(session);
        return true;
      case decrypt::Tls13Session::Start::kUnsupportedSuite:
        return stop(false, "unsupported_suite");
      case decrypt::Tls13Session::Start::kMissingSecrets:
        return stop(false, "missing_secrets");
    }
    return false;
  }

  bool start_tls12(const ServerHello& hello) {
    const auto& master = secrets_.get(decrypt::Secret::kMaster);
    if (master.empty()) return stop(false, "missing_secrets");
    auto session = std::make_unique<decrypt::Tls12Session>();
    switch (session->start(hello.version, hello.cipher_suite, hello.encrypt_then_mac, master, hello_.random,
                           hello.random)) {
      case decrypt::Tls12Session::Start::kStarted:
        session_ = std::move(session);
        return true;
      case decrypt::Tls12Session::Start::kUnsupportedSuite:
        return stop(false, "unsupported_suite");  // RC4, 3DES, CCM, ...
      case decrypt::Tls12Session::Start::kFailed:
        return stop(false, "missing_secrets");
    }
    return false;
  }

  // Application data, to the dissector of what the connection carries: chosen by the client's
  // first bytes, which may come a byte at a time (TLS 1.0's CBC senders put the first byte in a
  // record of its own). A server may speak before them (HTTP/2's SETTINGS, in TLS 1.3 before the
  // client's Finished): what it says is held until the choice.
  void deliver(bool from_client, core::Bytes plain) {
    if (!inner_chosen_) {
      std::vector<std::uint8_t>& held = held_[from_client ? 0 : 1];
      if (held.size() + plain.size() > kMaxPlainPending) {  // a server that never waits: not HTTP
        inner_chosen_ = true;
        held_[0] = {};
        held_[1] = {};
        return;
      }
      held.insert(held.end(), plain.begin(), plain.end());
      const core::Bytes start(held_[0]);
      if (!from_client || (!looks_like_request(start) && start.size() < kSniffBytes && could_begin_request(start)))
        return;
      inner_chosen_ = true;
      const std::string_view text(reinterpret_cast<const char*>(start.data()), start.size());
      // HTTP/2's preface begins like a request line, with the method PRI (RFC 9113 §3.4).
      if (http_.counters != nullptr && text.starts_with("PRI "))
        inner_ = std::make_unique<Inner>(make_http2_dissector(http_, true));
      else if (http_.counters != nullptr && looks_like_request(start))
        inner_ = std::make_unique<Inner>(make_http_dissector(http_, true));
      if (inner_ != nullptr) {
        feed(true, held_[0]);
        feed(false, held_[1]);
      }
      held_[0] = {};
      held_[1] = {};
      return;
    }
    if (inner_ != nullptr) feed(from_client, plain);
  }

  void feed(bool from_client, core::Bytes plain) {
    if (plain.empty()) return;
    flow::StreamFeed& f = inner_->feeds[from_client ? 0 : 1];
    f.set_time(now_);
    f.on_data(plain);
  }

  // Stops reading one direction (before a session: both), keeping the first reason; false.
  bool stop(bool from_client, std::string_view why) {
    if (reason_.empty()) reason_ = why;
    stopped_[from_client ? 0 : 1] = true;
    if (session_ == nullptr) stopped_[0] = stopped_[1] = true;
    // What the inner dissector was reading of that direction will not come.
    if (inner_ != nullptr) inner_->feeds[from_client ? 0 : 1].on_gap(0);
    return false;
  }

  [[nodiscard]] bool decrypting() const { return have_keys_ && !(stopped_[0] && stopped_[1]); }

  void take_client_hello() {
    if (handshake_.size() < kHandshakeHeader) return;
    const std::size_t length =
        std::size_t{handshake_[1]} << 16 | std::size_t{handshake_[2]} << 8 | handshake_[3];
    if (handshake_[0] != kClientHelloType) return fail(TlsCounter::kMalformed);
    if (length > kMaxClientHello) return fail(TlsCounter::kTooLarge);
    if (handshake_.size() < kHandshakeHeader + length) return;
    const core::Bytes body(handshake_.data() + kHandshakeHeader, length);
    if (!parse_client_hello(body, hello_)) return fail(TlsCounter::kMalformed);
    ++counters_[TlsCounter::kClientHellos];
    state_ = State::kRead;
    release();
    if (keylog_ == nullptr || !keylog_->copy_secrets(hello_.random, secrets_)) {
      reason_ = "no_key";
      return;
    }
    have_keys_ = true;
  }

  void fail(TlsCounter why) {
    ++counters_[why];
    state_ = State::kGivenUp;
    release();
  }

  void release() {
    handshake_.clear();
    handshake_.shrink_to_fit();
  }

  core::Counters<TlsCounter>& counters_;
  decrypt::KeyLog* keylog_;
  State state_ = State::kReading;
  std::vector<std::uint8_t> handshake_;  // handshake bytes gathered from the records so far
  ClientHello hello_;
  // Decryption, for connections whose secrets were logged.
  bool have_keys_ = false;
  decrypt::KeyLog::Secrets secrets_;
  std::vector<std::uint8_t> server_handshake_;  // until the ServerHello is whole
  std::unique_ptr<decrypt::TlsSession> session_;
  bool stopped_[2] = {false, false};  // [0] the client's records, [1] the server's
  std::uint64_t failed_records_ = 0;
  std::string_view reason_;  // why not decrypted (a literal)
  // What the decrypted connection carries.
  HttpContext http_;
  core::Timestamp now_;  // of the bytes being read
  bool inner_chosen_ = false;
  std::vector<std::uint8_t> held_[2];  // each side's first plaintext, until the client's tells what it is
  std::unique_ptr<Inner> inner_;  // null: not dissected (not HTTP/1.x, or not chosen yet)
};

}  // namespace

std::unique_ptr<flow::Dissector> make_tls_dissector(core::Counters<TlsCounter>& counters, decrypt::KeyLog* keylog,
                                                    const HttpContext& http) {
  return std::make_unique<TlsDissector>(counters, keylog, http);
}

bool looks_like_tls(core::Bytes bytes) {
  return bytes.size() >= 2 && bytes[0] == kHandshakeRecord && bytes[1] == 3;
}

}  // namespace tattle::dissect
