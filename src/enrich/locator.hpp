// Where an address is: its network (ASN and AS name) and the country it is hosted in. The IPFire
// location database through libloc is the default (Debian's libloc-database); MaxMind-format
// databases given with --mmdb (libmaxminddb: GeoLite2/GeoIP2 Country, City or ASN, or any
// database with their field names) take precedence for the fields they hold. Answers are cached
// per address; lookups are thread-safe unless set_shared(false).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>

#include "core/ip_address.hpp"
#include "core/owner.hpp"
#include "core/worker_lock.hpp"

namespace tattle::enrich {

class Locator {
 public:
  // Where Debian's packages put the IPFire database, first match wins.
  static constexpr const char* kDefaultDatabases[] = {"/var/lib/location/database.db",
                                                      "/usr/share/libloc-location/location.db"};
  static constexpr std::size_t kMaxCached = 1 << 20;  // addresses whose answers are kept

  Locator();
  ~Locator();
  Locator(const Locator&) = delete;
  Locator& operator=(const Locator&) = delete;

  // Opens an IPFire location database; "" tries kDefaultDatabases and is not an error when
  // none is there (lookups then give what the MaxMind databases give, or nothing).
  absl::Status open_location(const std::string& path);
  absl::Status add_mmdb(const std::string& path);

  // Null when no database knows the address (private and reserved ranges, or no database).
  std::shared_ptr<const core::Place> lookup(const core::IpAddress& addr);
  // The databases in use, for the report: "location: PATH (vendor, date)", "mmdb: PATH (type)".
  [[nodiscard]] const std::vector<std::string>& sources() const { return sources_; }
  // False when one thread does all the work: then nothing is locked.
  void set_shared(bool shared) { lock_.set_shared(shared); }

 private:
  struct Libloc;
  struct Mmdb;
  core::Place lookup_uncached(const core::IpAddress& addr);

  std::unique_ptr<Libloc> libloc_;
  std::vector<std::unique_ptr<Mmdb>> mmdbs_;
  std::vector<std::string> sources_;
  core::WorkerLock lock_;
  absl::flat_hash_map<core::IpAddress, std::shared_ptr<const core::Place>> cache_;
  absl::flat_hash_map<std::uint32_t, std::string> as_names_;
};

}  // namespace tattle::enrich
