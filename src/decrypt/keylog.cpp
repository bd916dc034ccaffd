#include "decrypt/keylog.hpp"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

namespace tattle::decrypt {

namespace {

struct LabelName {
  std::string_view text;
  Secret secret;
};

constexpr LabelName kLabels[] = {
    {"CLIENT_RANDOM", Secret::kMaster},
    {"CLIENT_EARLY_TRAFFIC_SECRET", Secret::kClientEarlyTraffic},
    {"EARLY_EXPORTER_SECRET", Secret::kEarlyExporter},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", Secret::kClientHandshakeTraffic},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", Secret::kServerHandshakeTraffic},
    {"CLIENT_TRAFFIC_SECRET_0", Secret::kClientTraffic0},
    {"SERVER_TRAFFIC_SECRET_0", Secret::kServerTraffic0},
    {"EXPORTER_SECRET", Secret::kExporter},
    {"ECH_SECRET", Secret::kEch},
    {"ECH_CONFIG", Secret::kEchConfig},
    // Older QUIC stacks (quic-go, ngtcp2 examples before RFC 9001) prefixed the TLS labels.
    {"QUIC_CLIENT_EARLY_TRAFFIC_SECRET", Secret::kClientEarlyTraffic},
    {"QUIC_CLIENT_HANDSHAKE_TRAFFIC_SECRET", Secret::kClientHandshakeTraffic},
    {"QUIC_SERVER_HANDSHAKE_TRAFFIC_SECRET", Secret::kServerHandshakeTraffic},
    {"QUIC_CLIENT_TRAFFIC_SECRET_0", Secret::kClientTraffic0},
    {"QUIC_SERVER_TRAFFIC_SECRET_0", Secret::kServerTraffic0},
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;  // either case (RFC 9850 §2)
  return -1;
}

// `text` as bytes into `out`; false if it is not an even number of hex digits.
bool unhex(std::string_view text, std::uint8_t* out) {
  if (text.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i / 2] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The next field of `line` (separated by spaces or tabs), removed from it.
std::string_view next_field(std::string_view& line) {
  std::size_t start = 0;
  while (start < line.size() && blank(line[start])) ++start;
  std::size_t end = start;
  while (end < line.size() && !blank(line[end])) ++end;
  const std::string_view field = line.substr(start, end - start);
  line.remove_prefix(end);
  return field;
}

// The sizes a secret may have: a hash's output (SHA-256 or SHA-384) for the traffic and
// exporter secrets, 48 bytes for a TLS 1.2 master secret; ECH's depend on the KEM and config.
bool plausible_size(Secret s, std::size_t n) {
  switch (s) {
    case Secret::kMaster: return n == 48;
    case Secret::kEch:
    case Secret::kEchConfig: return n > 0 && n <= KeyLog::kMaxSecret;
    default: return n == 32 || n == 48 || n == 64;
  }
}

}  // namespace

std::string_view label(Secret s) {
  for (const auto& l : kLabels)
    if (l.secret == s) return l.text;
  return "?";
}

std::optional<Secret> secret_of_label(std::string_view text) {
  for (const auto& l : kLabels)
    if (l.text == text) return l.secret;
  return std::nullopt;
}

std::string_view counter_name(KeyLogCounter c) {
  switch (c) {
    case KeyLogCounter::kLines: return "lines";
    case KeyLogCounter::kSecrets: return "secrets";
    case KeyLogCounter::kMalformed: return "malformed";
    case KeyLogCounter::kUnknownLabels: return "unknown_labels";
    case KeyLogCounter::kRepeated: return "repeated";
    case KeyLogCounter::kDropped: return "dropped";
    case KeyLogCounter::kHandshakesWithKeys: return "handshakes_with_keys";
    case KeyLogCounter::kHandshakesWithoutKeys: return "handshakes_without_keys";
    case KeyLogCounter::kCount: break;
  }
  return "?";
}

void KeyLog::add_text(std::string_view text, core::Diagnostics* diag, std::uint32_t input,
                      std::uint64_t base_offset) {
  const std::lock_guard lock(lock_);
  std::vector<std::uint8_t> value;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t eol = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, eol - at);
    const std::uint64_t offset = base_offset + at;
    at = eol + 1;

    const std::string_view name = next_field(line);
    if (name.empty() || name.front() == '#') continue;
    ++counters_[KeyLogCounter::kLines];
    const std::string_view random_hex = next_field(line);
    const std::string_view secret_hex = next_field(line);
    const auto bad = [&](std::string_view why) {
      ++counters_[KeyLogCounter::kMalformed];
      if (diag != nullptr) diag->warn(input, offset, fmt::format("key log line skipped: {}", why));
    };
    if (secret_hex.empty() || !next_field(line).empty()) {
      bad("not three fields (label, client random, secret)");
      continue;
    }
    const auto secret = secret_of_label(name);
    if (!secret) {
      ++counters_[KeyLogCounter::kUnknownLabels];
      continue;
    }
    ClientRandom random;
    if (random_hex.size() != 2 * random.size() || !unhex(random_hex, random.data())) {
      bad("the client random is not 64 hex digits");
      continue;
    }
    if (secret_hex.size() > 2 * kMaxSecret || secret_hex.size() % 2 != 0) {
      bad("the secret is not hex of a plausible size");
      continue;
    }
    value.resize(secret_hex.size() / 2);
    if (!unhex(secret_hex, value.data()) || !plausible_size(*secret, value.size())) {
      bad(fmt::format("the secret is not hex of a size {} can have", label(*secret)));
      continue;
    }
    auto it = by_random_.find(random);
    if (it == by_random_.end()) {
      if (by_random_.size() >= kMaxConnections) {
        ++counters_[KeyLogCounter::kDropped];
        continue;
      }
      it = by_random_.try_emplace(random).first;
    }
    auto& slot = it->second.of[static_cast<std::size_t>(*secret)];
    if (!slot.empty()) {
      ++counters_[KeyLogCounter::kRepeated];
      continue;
    }
    slot = value;
    ++counters_[KeyLogCounter::kSecrets];
  }
}

bool KeyLog::has(const ClientRandom& random) {
  const std::lock_guard lock(lock_);
  const bool found = find(random) != nullptr;
  ++counters_[found ? KeyLogCounter::kHandshakesWithKeys : KeyLogCounter::kHandshakesWithoutKeys];
  return found;
}

bool KeyLog::copy_secrets(const ClientRandom& random, Secrets& out) {
  const std::lock_guard lock(lock_);
  const Secrets* found = find(random);
  ++counters_[found != nullptr ? KeyLogCounter::kHandshakesWithKeys : KeyLogCounter::kHandshakesWithoutKeys];
  if (found != nullptr) out = *found;
  return found != nullptr;
}

const KeyLog::Secrets* KeyLog::find(const ClientRandom& random) {
  const auto it = by_random_.find(random);
  if (it == by_random_.end()) return nullptr;
  it->second.used = true;
  return &it->second;
}

std::size_t KeyLog::unused() const {
  return static_cast<std::size_t>(
      std::count_if(by_random_.begin(), by_random_.end(), [](const auto& e) { return !e.second.used; }));
}

}  // namespace tattle::decrypt
