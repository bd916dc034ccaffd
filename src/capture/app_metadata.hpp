// Parsers for the app metadata that capture tools put into pcapng files (internal to the
// capture stage, exposed for tests). All take untrusted bytes and never fail loudly: what does
// not parse yields nullopt.
//
// Sources of the layouts:
//   - Apple "Darwin process info block" (block type 0x80000001): a 32-bit process id in the
//     section's byte order, then options: 2 = process name (UTF-8), 4 = process UUID (16 bytes).
//     EPB options 0x8001 / 0x8003 hold the 32-bit index of that block within the section for the
//     process and the effective (delegated) process. From Wireshark's
//     wiretap/pcapng-darwin-custom.c (pcapng_read_darwin_legacy_block, OPT_DPIB_NAME).
//   - Wireshark custom block (PEN 32622, wiretap/pcapng-wireshark-custom.c and the generator of
//     its process_info_* test captures): after the PEN, a little-endian entry type and entry
//     length, the entry (padded to 4), then block options in section order. Entry type 3 is the
//     body of a proposed Process Information Block (IETF-OPSAWG-WG/draft-ietf-opsawg-pcap pull
//     209): little-endian process id, then little-endian options 2 = name, 3 = path,
//     5 = ppid, 6 = uid, 7 = user, 8 = UUID, 9 = start time (u64 ns since the epoch). Packets
//     name their process with the standard EPB option epb_processid_threadid (8: process id,
//     thread id; section order); among several blocks with that id the latest one started at
//     or before the packet wins, else the earliest, and blocks without a start time stand last.
//   - PCAPdroid (emanuele-f/PCAPdroid app/src/main/jni/core/pcap_dump.c, make_custom_block and
//     dump_pcapng_uid_mapping; its Lua dissector): custom block with PEN 62652, then u16
//     version (1), u8 block type (1 = UID map), u8 pad, i32 uid, u8 package-name length, u8
//     app-name length, the two names; integers in the writer's (= section's) byte order. Each
//     EPB carries the comment "u-<uid>".
//   - pymobiledevice3 (pcapd service): EPB comment
//     "PID: <n>, ProcName: <name>, EPID: <n>, EProcName: <name>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/app.hpp"
#include "core/byte_reader.hpp"

namespace tattle::capture {

inline constexpr std::uint32_t kPenWireshark = 32622;
inline constexpr std::uint32_t kPenPcapdroid = 62652;

// "u-1234" -> 1234.
std::optional<std::int64_t> parse_pcapdroid_comment(std::string_view comment);

// "PID: 1, ProcName: a, EPID: 2, EProcName: b" -> {a, 1, b, 2}; effective fields stay empty
// when they repeat the process itself.
std::optional<core::AppInfo> parse_pymobiledevice_comment(std::string_view comment);

// The custom data of a PCAPdroid block (after the PEN): uid and package name (else app name).
struct UidName {
  std::int64_t uid = -1;
  std::string name;
};
std::optional<UidName> parse_pcapdroid_block(core::Bytes data, bool big_endian);

// The custom data of a Wireshark block (after the PEN), when it is a process information entry.
struct ProcessEntry {
  std::uint32_t pid = 0;
  std::string name;
  std::optional<std::int64_t> start_ns;
};
std::optional<ProcessEntry> parse_wireshark_process_entry(core::Bytes data);

// Walks a pcapng option list (§3.5): f(code, value) for each option before opt_endofopt. Stops
// quietly at the first option that runs past the list.
template <class F>
void for_each_option(core::ByteReader r, bool big_endian, F&& f) {
  while (r.remaining() >= 4) {
    const std::uint16_t code = r.u16(big_endian);
    const std::uint16_t len = r.u16(big_endian);
    if (code == 0) return;
    const core::Bytes value = r.take(len);
    if (!r.ok()) return;
    r.skip((4 - (len & 3)) & 3);
    f(code, value);
  }
}

inline std::string_view as_text(core::Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace tattle::capture
