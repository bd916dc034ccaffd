#include "enrich/locator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

#include <fmt/format.h>
#include <maxminddb.h>

// libloc's headers other than libloc.h have no C++ guards.
extern "C" {
#include <libloc/as.h>
#include <libloc/database.h>
#include <libloc/libloc.h>
#include <libloc/network.h>
}

namespace tattle::enrich {

struct Locator::Libloc {
  loc_ctx* ctx = nullptr;
  loc_database* db = nullptr;
  std::FILE* file = nullptr;  // libloc maps it; kept open while the database is in use
  ~Libloc() {
    if (db != nullptr) loc_database_unref(db);
    if (ctx != nullptr) loc_unref(ctx);
    if (file != nullptr) std::fclose(file);
  }
};

struct Locator::Mmdb {
  MMDB_s db{};
  bool open = false;
  ~Mmdb() {
    if (open) MMDB_close(&db);
  }
};

Locator::Locator() = default;
Locator::~Locator() = default;

absl::Status Locator::open_location(const std::string& path) {
  std::string chosen = path;
  if (chosen.empty()) {
    for (const char* p : kDefaultDatabases) {
      if (std::FILE* f = std::fopen(p, "rb")) {
        std::fclose(f);
        chosen = p;
        break;
      }
    }
    if (chosen.empty()) return absl::OkStatus();
  }
  auto l = std::make_unique<Libloc>();
  l->file = std::fopen(chosen.c_str(), "rb");
  if (l->file == nullptr) return absl::NotFoundError(fmt::format("{}: {}", chosen, std::strerror(errno)));
  if (loc_new(&l->ctx) != 0 || loc_database_new(l->ctx, &l->db, l->file) != 0)
    return absl::InvalidArgumentError(fmt::format("{}: not a location database libloc can read", chosen));
  const std::time_t made = loc_database_created_at(l->db);
  std::tm tm{};
  gmtime_r(&made, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  sources_.push_back(fmt::format("location: {} ({}, {})", chosen, loc_database_get_vendor(l->db), date));
  libloc_ = std::move(l);
  return absl::OkStatus();
}

absl::Status Locator::add_mmdb(const std::string& path) {
  auto m = std::make_unique<Mmdb>();
  if (const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &m->db); rc != MMDB_SUCCESS)
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, MMDB_strerror(rc)));
  m->open = true;
  sources_.push_back(fmt::format("mmdb: {} ({})", path, m->db.metadata.database_type));
  mmdbs_.push_back(std::move(m));
  return absl::OkStatus();
}

namespace {

in6_addr as_in6(const core::IpAddress& a) {
  in6_addr out{};
  if (a.version == 4) {  // IPv4-mapped, as libloc keeps IPv4 networks
    out.s6_addr[10] = out.s6_addr[11] = 0xff;
    std::memcpy(out.s6_addr + 12, a.bytes.data(), 4);
  } else {
    std::memcpy(out.s6_addr, a.bytes.data(), 16);
  }
  return out;
}

// A string or number at `path` in an MMDB entry; false when absent or of another type.
template <class... Path>
bool mmdb_string(MMDB_entry_s& entry, std::string& out, Path... path) {
  MMDB_entry_data_s data{};
  if (MMDB_get_value(&entry, &data, path..., nullptr) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING)
    return false;
  out.assign(data.utf8_string, data.data_size);
  return true;
}

template <class... Path>
bool mmdb_u32(MMDB_entry_s& entry, std::uint32_t& out, Path... path) {
  MMDB_entry_data_s data{};
  if (MMDB_get_value(&entry, &data, path..., nullptr) != MMDB_SUCCESS || !data.has_data) return false;
  if (data.type == MMDB_DATA_TYPE_UINT32) out = data.uint32;
  else if (data.type == MMDB_DATA_TYPE_UINT16) out = data.uint16;
  else return false;
  return true;
}

}  // namespace

core::Place Locator::lookup_uncached(const core::IpAddress& addr) {
  core::Place place;
  if (libloc_ != nullptr) {
    const in6_addr a = as_in6(addr);
    loc_network* net = nullptr;
    if (loc_database_lookup(libloc_->db, &a, &net) == 0 && net != nullptr) {
      if (const char* cc = loc_network_get_country_code(net); cc != nullptr) place.country = cc;
      place.asn = loc_network_get_asn(net);
      place.anycast = loc_network_has_flag(net, LOC_NETWORK_FLAG_ANYCAST) != 0;
      loc_network_unref(net);
    }
    if (place.asn != 0) {
      auto [it, added] = as_names_.try_emplace(place.asn);
      loc_as* as = nullptr;
      if (added && loc_database_get_as(libloc_->db, &as, place.asn) == 0 && as != nullptr) {
        if (const char* name = loc_as_get_name(as); name != nullptr) it->second = name;
        loc_as_unref(as);
      }
      place.as_name = it->second;
    }
  }
  for (auto& m : mmdbs_) {
    sockaddr_storage ss{};
    if (addr.version == 4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      sin->sin_family = AF_INET;
      std::memcpy(&sin->sin_addr, addr.bytes.data(), 4);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sin6->sin6_family = AF_INET6;
      std::memcpy(&sin6->sin6_addr, addr.bytes.data(), 16);
    }
    int error = 0;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&m->db, reinterpret_cast<sockaddr*>(&ss), &error);
    if (error != MMDB_SUCCESS || !r.found_entry) continue;
    std::string country;
    if (mmdb_string(r.entry, country, "country", "iso_code")) place.country = country;
    std::uint32_t asn = 0;
    if (mmdb_u32(r.entry, asn, "autonomous_system_number")) {
      place.asn = asn;
      place.as_name.clear();
      mmdb_string(r.entry, place.as_name, "autonomous_system_organization");
    }
  }
  return place;
}

std::shared_ptr<const core::Place> Locator::lookup(const core::IpAddress& addr) {
  const std::lock_guard lock(lock_);
  if (auto it = cache_.find(addr); it != cache_.end()) return it->second;
  core::Place p = lookup_uncached(addr);
  std::shared_ptr<const core::Place> answer;
  if (p.asn != 0 || !p.country.empty()) answer = std::make_shared<const core::Place>(std::move(p));
  if (cache_.size() < kMaxCached) cache_.emplace(addr, answer);
  return answer;
}

}  // namespace tattle::enrich
