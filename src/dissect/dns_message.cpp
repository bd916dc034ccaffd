#include "dissect/dns_message.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "core/ascii.hpp"

namespace tattle::dissect {

std::string_view dns_type_mnemonic(std::uint16_t type) {
  switch (type) {
    case dns_type::kA: return "A";
    case dns_type::kNs: return "NS";
    case dns_type::kCname: return "CNAME";
    case 6: return "SOA";
    case dns_type::kPtr: return "PTR";
    case dns_type::kMx: return "MX";
    case 16: return "TXT";
    case dns_type::kAaaa: return "AAAA";
    case 33: return "SRV";
    case 41: return "OPT";
    case dns_type::kSvcb: return "SVCB";
    case dns_type::kHttps: return "HTTPS";
    case 255: return "ANY";
    default: return {};
  }
}

core::FixedText<10> dns_type_name(std::uint16_t type) {
  core::FixedText<10> out;
  const std::string_view m = dns_type_mnemonic(type);
  out.finish(m.empty() ? fmt::format_to(out.begin(), "TYPE{}", type) : std::copy(m.begin(), m.end(), out.begin()));
  return out;
}

namespace {

constexpr std::size_t kMaxNameWire = 255;  // RFC 1035 §2.3.4
// Real compression needs a few jumps per name; the bound keeps a message of pointers to
// pointers from costing more than a few hundred steps per name.
constexpr int kMaxJumps = 64;

// Labels are copied a word at a time, and a word may be written past a label's text: the text
// buffer has this much room after its capacity.
constexpr std::size_t kWordSlack = 7;

// Copies the label of `len` bytes ending at `end` to `out` if all its bytes are plain (printable,
// neither '.' nor '\\'), a word at a time; false otherwise. Words are read so that they end
// within the label, never past it: the 8 bytes before `end` must belong to the message.
bool copy_plain_label(char* out, const std::uint8_t* end, std::size_t len) {
  const auto plain = [](std::uint64_t w) { return core::word_printable_without(w, 0x21, '.', '\\'); };
  std::uint64_t w;
  if (len < 8) {  // most labels: one word, shifted so that its bytes before the label drop out
    std::memcpy(&w, end - 8, 8);
    w >>= 8 * (8 - len);
    if (!plain(w | 0x6161616161616161ull << (8 * len))) return false;  // 'a' where the word is empty
    std::memcpy(out, &w, 8);
    return true;
  }
  const std::uint8_t* label = end - len;
  for (std::size_t i = 0; i + 8 < len; i += 8) {
    std::memcpy(&w, label + i, 8);
    if (!plain(w)) return false;
    std::memcpy(out + i, &w, 8);
  }
  std::memcpy(&w, end - 8, 8);  // the last word, overlapping the one before
  if (!plain(w)) return false;
  std::memcpy(out + len - 8, &w, 8);
  return true;
}

// The label of `len` bytes at `at` in `msg` as zone-file text (RFC 1035 §5.1): printable bytes as
// they are; '.', '\\' and the others as \\DDD.
char* write_label(char* out, core::Bytes msg, std::size_t at, std::size_t len) {
  if constexpr (std::endian::native == std::endian::little) {
    if (at + len >= 8 && copy_plain_label(out, msg.data() + at + len, len)) return out + len;
  }
  for (const std::uint8_t c : msg.subspan(at, len)) {
    if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
      *out++ = static_cast<char>(c);
    } else {
      *out++ = '\\';
      *out++ = static_cast<char>('0' + c / 100);
      *out++ = static_cast<char>('0' + c / 10 % 10);
      *out++ = static_cast<char>('0' + c % 10);
    }
  }
  return out;
}

std::size_t pointer_target(core::Bytes msg, std::size_t p) {
  return static_cast<std::size_t>(msg[p] & 0x3f) << 8 | msg[p + 1];
}

// Reads the name at `pos` in `msg`, writing its text after the message's text so far and viewing
// it in `name`; `pos` moves past it (past its first pointer when it is compressed). Every pointer
// must point before the labels that led to it, so the walk always ends. On failure nothing of
// the name is kept.
bool read_name(core::Bytes msg, std::size_t& pos, DnsMessage& out, std::string_view& name) {
  // A name that is only a pointer to one read before: its text again, if reading it anew would
  // succeed as it did. It would: names are read in message order, so the earlier one's bytes
  // all lie before `pos`, in any view of the message; only the one more pointer could be one
  // too many.
  if (pos + 1 < msg.size() && (msg[pos] & 0xc0) == 0xc0) {
    const std::size_t target = pointer_target(msg, pos);
    for (std::size_t i = 0; i < out.names_at_used; ++i) {
      const DnsMessage::NameAt& known = out.names_at[i];
      if (known.offset == target && target < pos && known.jumps < kMaxJumps) {
        name = known.text;
        pos += 2;
        return true;
      }
    }
  }
  // The capacity holds every name a message keeps (see DnsMessage::text); checked all the same.
  if (DnsMessage::kTextCapacity - out.text_used < DnsMessage::kMaxNameText) return false;
  char* const start = out.text.get() + out.text_used;
  char* w = start;
  std::size_t p = pos;
  std::size_t next = pos;   // where reading goes on after the name
  std::size_t segment = p;  // where the labels being read started
  std::size_t wire = 1;     // the root label
  bool jumped = false;
  int jumps = 0;
  for (;;) {
    if (p >= msg.size()) return false;
    const std::uint8_t len = msg[p];
    if ((len & 0xc0) == 0xc0) {
      if (p + 1 >= msg.size() || ++jumps > kMaxJumps) return false;
      const std::size_t target = pointer_target(msg, p);
      if (target >= segment) return false;
      if (!jumped) next = p + 2;
      jumped = true;
      p = segment = target;
      continue;
    }
    if ((len & 0xc0) != 0) return false;  // extended and reserved label types (RFC 6891 §5)
    if (len == 0) break;
    wire += 1u + len;
    if (wire > kMaxNameWire || p + 1 + len > msg.size()) return false;
    if (w != start) *w++ = '.';
    w = write_label(w, msg, p + 1, len);
    p += 1u + len;
  }
  if (!jumped) next = p + 1;
  if (w == start) *w++ = '.';
  name = std::string_view(start, static_cast<std::size_t>(w - start));
  out.text_used += name.size();
  // Known from now on by where its text begins: at `pos`, or where its first pointer leads.
  if (out.names_at_used < DnsMessage::kNamesAt) {
    const bool pointer_first = (msg[pos] & 0xc0) == 0xc0;
    out.names_at[out.names_at_used++] = {pointer_first ? pointer_target(msg, pos) : pos, name,
                                         pointer_first ? jumps - 1 : jumps};
  }
  pos = next;
  return true;
}

bool read_name(core::Bytes msg, core::ByteReader& r, DnsMessage& out, std::string_view& name) {
  std::size_t pos = r.offset();
  if (!read_name(msg, pos, out, name)) return false;
  return r.skip(pos - r.offset());
}

// Fills a record's target and addresses from its data; false when the data is not what the
// type says it is (the record is then kept with its type alone).
bool read_rdata(core::Bytes msg, std::size_t at, core::Bytes rdata, DnsMessage& out, DnsAnswer& a) {
  core::ByteReader r(rdata);
  switch (a.type) {
    case dns_type::kA:
      if (rdata.size() != 4) return false;
      a.addresses.push_back(core::IpAddress::v4(rdata.first<4>()));
      return true;
    case dns_type::kAaaa:
      if (rdata.size() != 16) return false;
      a.addresses.push_back(core::IpAddress::v6(rdata.first<16>()));
      return true;
    case dns_type::kCname:
    case dns_type::kPtr:
    case dns_type::kNs: {
      // Compressed names point into the whole message, so they are read from there.
      std::size_t pos = at;
      return read_name(msg.first(at + rdata.size()), pos, out, a.target);
    }
    case dns_type::kMx: {
      std::size_t pos = at + 2;
      return rdata.size() > 2 && read_name(msg.first(at + rdata.size()), pos, out, a.target);
    }
    case dns_type::kSvcb:
    case dns_type::kHttps: {
      r.u16be();  // SvcPriority
      std::size_t pos = at + 2;
      if (!r.ok() || !read_name(msg.first(at + rdata.size()), pos, out, a.target)) return false;
      r.skip(pos - at - 2);
      while (r.ok() && r.remaining() > 0) {
        const std::uint16_t key = r.u16be();
        core::ByteReader value = r.sub_u16be();
        const std::size_t width = key == 4 ? 4 : key == 6 ? 16 : 0;  // ipv4hint, ipv6hint
        if (width == 0) continue;
        if (value.remaining() % width != 0) return false;
        while (value.remaining() > 0 && a.addresses.size() < DnsMessage::kMaxHints) {
          const core::Bytes b = value.take(width);
          a.addresses.push_back(width == 4 ? core::IpAddress::v4(b.first<4>()) : core::IpAddress::v6(b.first<16>()));
        }
      }
      return r.ok();
    }
    default:
      return true;
  }
}

}  // namespace

bool parse_dns(core::Bytes message, DnsMessage& out, std::size_t& error_offset) {
  out.questions.clear();
  out.answers.clear();
  out.dropped_records = 0;
  out.text_used = 0;
  out.names_at_used = 0;
  if (!out.text) out.text = std::make_unique_for_overwrite<char[]>(DnsMessage::kTextCapacity + kWordSlack);
  core::ByteReader r(message);
  out.id = r.u16be();
  const std::uint16_t flags = r.u16be();
  const std::uint16_t qdcount = r.u16be();
  const std::uint16_t ancount = r.u16be();
  r.skip(4);  // NSCOUNT, ARCOUNT: those sections are not read
  if (!r.ok()) {
    error_offset = message.size();
    return false;
  }
  out.response = (flags & 0x8000) != 0;
  out.opcode = static_cast<std::uint8_t>(flags >> 11 & 0xf);
  out.truncated = (flags & 0x0200) != 0;
  out.rcode = static_cast<std::uint8_t>(flags & 0xf);

  // Past kMaxRecords questions the answers are out of reach too: such a message is counted,
  // not read (real ones ask one question).
  if (qdcount > DnsMessage::kMaxRecords) {
    out.dropped_records = std::size_t{qdcount} + ancount;
    return true;
  }
  for (std::uint16_t i = 0; i < qdcount; ++i) {
    DnsQuestion q;
    if (!read_name(message, r, out, q.name)) {
      error_offset = r.offset();
      return false;
    }
    q.type = r.u16be();
    q.qclass = r.u16be() & 0x7fff;  // mDNS: the top bit asks for a unicast answer
    if (!r.ok()) {
      error_offset = message.size();
      return false;
    }
    out.questions.push_back(q);
  }
  // Room for the section, bounded by what the rest of the message could hold (a record takes at
  // least 11 bytes), not by what its header claims; kept for the messages after this one.
  out.answers.reserve(std::min<std::size_t>({ancount, DnsMessage::kMaxRecords, r.remaining() / 11}));
  for (std::uint16_t i = 0; i < ancount; ++i) {
    if (out.answers.size() == DnsMessage::kMaxRecords) {
      out.dropped_records += ancount - i;
      break;
    }
    DnsAnswer a;
    if (!read_name(message, r, out, a.name)) {
      out.dropped_records += ancount - i;
      break;
    }
    a.type = r.u16be();
    r.u16be();  // class
    a.ttl = r.u32be();
    const std::uint16_t rdlength = r.u16be();
    const std::size_t at = r.offset();
    const core::Bytes rdata = r.take(rdlength);
    if (!r.ok()) {
      out.dropped_records += ancount - i;
      break;
    }
    if (!read_rdata(message, at, rdata, out, a)) {
      a.target = {};
      a.addresses.clear();
    }
    out.answers.push_back(std::move(a));
  }
  return true;
}

}  // namespace tattle::dissect
