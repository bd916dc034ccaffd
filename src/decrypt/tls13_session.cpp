#include "decrypt/tls13_session.hpp"

#include <algorithm>
#include <utility>

namespace tattle::decrypt {

namespace {

using content_type::kAlert;
using content_type::kApplicationData;
using content_type::kChangeCipherSpec;
using content_type::kHandshake;
constexpr std::uint8_t kFinished = 20;   // handshake message types (RFC 8446 §4)
constexpr std::uint8_t kKeyUpdate = 24;

}  // namespace

Tls13Session::Start Tls13Session::start(std::uint16_t cipher_suite, KeyLog::Secrets secrets) {
  const auto aead = tls13_aead(cipher_suite);
  if (!aead) return Start::kUnsupportedSuite;
  aead_ = *aead;
  hash_ = cipher_suite == 0x1302 ? Hash::kSha384 : Hash::kSha256;
  secrets_ = std::move(secrets);
  for (const Secret s : {Secret::kClientHandshakeTraffic, Secret::kServerHandshakeTraffic, Secret::kClientTraffic0,
                         Secret::kServerTraffic0})
    if (secrets_.get(s).size() != hash_size(hash_)) return Start::kMissingSecrets;
  if (!rekey(sides_[0], secrets_.get(Secret::kClientHandshakeTraffic)) ||
      !rekey(sides_[1], secrets_.get(Secret::kServerHandshakeTraffic)))
    return Start::kMissingSecrets;
  return Start::kStarted;
}

bool Tls13Session::rekey(Side& s, const std::vector<std::uint8_t>& secret) {
  s.secret = secret;
  std::array<std::uint8_t, 32> key{};
  std::array<std::uint8_t, 12> iv{};
  const std::span<std::uint8_t> k(key.data(), key_size(aead_));
  return traffic_key_and_iv(hash_, s.secret, k, iv) && s.opener.set_keys(aead_, k, iv);
}

Tls13Session::Change Tls13Session::scan_handshake(Side& s, core::Bytes bytes) {
  Change change = Change::kNone;
  for (std::size_t i = 0; i < bytes.size();) {
    if (s.header_have < s.header.size()) {
      s.header[s.header_have++] = bytes[i++];
      if (s.header_have < s.header.size()) continue;
      s.body_left = std::uint64_t{s.header[1]} << 16 | std::uint64_t{s.header[2]} << 8 | s.header[3];
    } else {
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(s.body_left, bytes.size() - i));
      i += take;
      s.body_left -= take;
    }
    if (s.body_left == 0) {  // a whole message: its type decides
      if (s.header[0] == kFinished && !s.application_keys) change = Change::kFinished;
      if (s.header[0] == kKeyUpdate && s.application_keys) change = Change::kKeyUpdate;
      s.header_have = 0;
    }
  }
  return change;
}

Tls13Session::Result Tls13Session::on_record(bool from_client, core::Bytes record,
                                             absl::FunctionRef<void(core::Bytes)> app_data) {
  Side& s = sides_[from_client ? 0 : 1];
  if (s.failed || record.size() < kRecordHeader) return Result::kFailed;
  const std::uint8_t outer = record[0];
  // CCS may come any time in the handshake; an alert outside application_data is one sent in
  // the clear, before encryption began.
  if (outer == kChangeCipherSpec || outer == kAlert) return Result::kSkipped;
  if (outer != kApplicationData) {
    s.failed = true;
    return Result::kFailed;
  }
  plain_.resize(record.size());
  const auto opened = s.opener.open(record, plain_);
  if (!opened) {
    s.failed = true;
    return Result::kFailed;
  }
  ++opened_;
  const core::Bytes content(plain_.data(), opened->size);
  if (opened->content_type == kApplicationData) {
    app_data(content);
  } else if (opened->content_type == kHandshake) {
    switch (scan_handshake(s, content)) {
      case Change::kNone:
        break;
      case Change::kFinished:
        s.application_keys = true;
        if (!rekey(s, secrets_.get(from_client ? Secret::kClientTraffic0 : Secret::kServerTraffic0))) s.failed = true;
        break;
      case Change::kKeyUpdate: {
        std::vector<std::uint8_t> next(hash_size(hash_));
        if (!next_traffic_secret(hash_, s.secret, next) || !rekey(s, next)) s.failed = true;
        break;
      }
    }
  }
  return Result::kOpened;
}

}  // namespace tattle::decrypt
