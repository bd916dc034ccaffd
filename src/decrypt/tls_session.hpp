// What the TLS dissector asks of a connection being decrypted, whichever the version: records in
// whole, in stream order per direction; application data out through a callback.
#pragma once

#include <cstdint>

#include <absl/functional/function_ref.h>

#include "core/byte_reader.hpp"

namespace tattle::decrypt {

class TlsSession {
 public:
  virtual ~TlsSession() = default;
  enum class Result : std::uint8_t {
    kOpened,   // decrypted and verified
    kSkipped,  // a record sent in the clear where the protocol allows one (handshake, CCS, alert)
    kFailed,   // out of place, or its tag did not verify: the direction is spoilt
  };
  // One whole record (header and body) sent by the client (`from_client`) or the server. The
  // plaintext of application_data records goes to `app_data`, valid during the call.
  virtual Result on_record(bool from_client, core::Bytes record, absl::FunctionRef<void(core::Bytes)> app_data) = 0;
  [[nodiscard]] std::uint64_t records_opened() const { return opened_; }

 protected:
  std::uint64_t opened_ = 0;
};

}  // namespace tattle::decrypt
