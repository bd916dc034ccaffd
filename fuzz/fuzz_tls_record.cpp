// TLS 1.3 record protection on arbitrary bytes: the input is cut into records by their own length
// fields, as a stream would bring them, and each is opened under the keys of RFC 8448's client
// application traffic secret (so that the seeds, records of that trace, verify and reach the
// inner content type), the first byte choosing the AEAD.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "decrypt/key_schedule.hpp"
#include "decrypt/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tattle::decrypt;
  if (size < 1) return 0;
  static const std::array<std::uint8_t, 32> kSecret = {
      0x9e, 0x40, 0x64, 0x6c, 0xe7, 0x9a, 0x7f, 0x9d, 0xc0, 0x5a, 0xf8, 0x88, 0x9b, 0xce, 0x65, 0x52,
      0x87, 0x5a, 0xfa, 0x0b, 0x06, 0xdf, 0x00, 0x87, 0xf7, 0x92, 0xeb, 0xb7, 0xc1, 0x75, 0x04, 0xa5};
  const Aead aead = static_cast<Aead>(data[0] % 3);
  std::vector<std::uint8_t> key(key_size(aead));
  std::array<std::uint8_t, 12> iv{};
  if (!traffic_key_and_iv(Hash::kSha256, kSecret, key, iv)) std::abort();
  RecordOpener opener;
  if (!opener.set_keys(aead, key, iv)) std::abort();
  std::vector<std::uint8_t> out;
  std::size_t at = 1;
  while (size - at >= kRecordHeader) {
    const std::size_t length = std::size_t{data[at + 3]} << 8 | data[at + 4];
    const std::size_t take = std::min(size - at, kRecordHeader + length);
    out.assign(take, 0);
    const tattle::core::Bytes record(data + at, take);
    if (const auto opened = opener.open(record, out); opened && opened->size >= take) std::abort();
    at += take;
  }
  return 0;
}
