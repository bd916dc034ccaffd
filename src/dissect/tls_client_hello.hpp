// The TLS ClientHello (RFC 8446 §4.1.2, and RFC 5246 §7.4.1.2 before TLS 1.3): what the client
// says about where it goes (SNI), what it speaks (ALPN, offered versions), and its JA4
// fingerprint (FoxIO's published JA4 specification). Shared by TLS over TCP and by QUIC.
// Hand-written: OpenSSL parses ClientHellos only inside a live handshake of its own.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/byte_reader.hpp"

namespace tattle::dissect {

struct ClientHello {
  std::uint16_t legacy_version = 0;
  std::array<std::uint8_t, 32> random{};  // names the connection in key logs (RFC 9850)
  std::vector<std::uint16_t> ciphers;     // in the order offered
  std::vector<std::uint16_t> extensions;  // types, in the order sent
  std::vector<std::uint16_t> versions;    // supported_versions (RFC 8446 §4.2.1)
  std::vector<std::uint16_t> sigalgs;     // signature_algorithms (RFC 8446 §4.2.3)
  bool has_sni = false;                   // the server_name extension is there
  std::string sni;                        // its first host_name (RFC 6066 §3)
  std::vector<std::string> alpn;          // protocol names offered (RFC 7301)
};

// Reads a ClientHello's body (the handshake message after its 4-byte header). False when it
// cannot be read; extensions whose own contents are damaged are listed but add nothing else.
bool parse_client_hello(core::Bytes body, ClientHello& out);

// The JA4 fingerprint: `protocol` is 't' (TLS over TCP), 'q' (QUIC) or 'd' (DTLS).
std::string ja4(const ClientHello& hello, char protocol);

// The versions a client offered, newest first, as "1.3", "1.2", ... ("0x7f1c" for others):
// supported_versions when present, else the legacy version.
std::vector<std::string> offered_versions(const ClientHello& hello);

// The ServerHello (RFC 8446 §4.1.3): what decryption needs of it.
struct ServerHello {
  std::uint16_t cipher_suite = 0;
  std::uint16_t version = 0;  // supported_versions' choice, else the legacy version
  std::array<std::uint8_t, 32> random{};
  bool retry = false;         // a HelloRetryRequest (its random is a fixed value)
  bool encrypt_then_mac = false;  // the server agreed to it (RFC 7366): CBC suites MAC the ciphertext
};
// Reads a ServerHello's body (after its 4-byte header); false when it cannot be read.
bool parse_server_hello(core::Bytes body, ServerHello& out);

// GREASE values (RFC 8701): reserved, sent only to keep peers tolerant; fingerprints skip them.
constexpr bool is_grease(std::uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

}  // namespace tattle::dissect
