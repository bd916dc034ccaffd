// One captured record as read from a file: link-layer bytes plus what the capture format said
// about them. A Frame is a view: its bytes belong to the PacketSource that produced it.
#pragma once

#include <cstdint>

#include "core/app.hpp"
#include "core/byte_reader.hpp"
#include "core/timestamp.hpp"

namespace tattle::capture {

struct Frame {
  core::Timestamp ts;
  core::Bytes data;               // captured bytes; see PacketSource::stable() for their lifetime
  std::uint32_t wire_len = 0;     // length on the wire (>= data.size() unless the file lies)
  std::uint32_t link_type = 0;    // LINKTYPE_* number (tcpdump.org/linktypes.html)
  std::uint32_t input = 0;        // index of the input file (core::Diagnostics::add_input)
  std::uint64_t offset = 0;       // byte offset of the record in the (decompressed) input
  core::AppId app = core::kNoApp; // app named by the capture format itself (pcapng blocks/comments)
};

}  // namespace tattle::capture
