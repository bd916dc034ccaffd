// The user's policy (a TOML file, docs/policy.md): which owner jurisdictions, hosting countries,
// networks, owners and tags data must not go to — or the only ones it may go to — with
// exceptions. Every flow that breaches a rule becomes part of a finding, one per rule, value and
// destination (server address, port and transport; or name, for App Privacy Report records). Not thread-safe: fed from the sinks' side, one flow at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>

#include "core/app.hpp"
#include "core/ip_address.hpp"
#include "core/owner.hpp"
#include "core/timestamp.hpp"
#include "flow/flow_record.hpp"

namespace tattle::detect {

struct Finding {
  static constexpr std::size_t kMaxFlowIds = 64;

  std::string rule;   // "deny.countries", "allow.owners", ...
  std::string value;  // what matched (or, for allow rules, what was not allowed): "CN", "ByteDance"
  core::Endpoint server;
  std::uint8_t ip_proto = 0;
  std::string name;  // the first flow's name
  const core::Owner* owner = nullptr;
  std::shared_ptr<const core::Place> place;
  std::vector<std::uint64_t> flow_ids;  // the first kMaxFlowIds flows
  std::vector<core::AppId> apps;
  std::uint64_t flows = 0, bytes_out = 0, bytes_in = 0;
  core::Timestamp first, last;
};

class Policy {
 public:
  static constexpr std::size_t kMaxFindings = 1 << 16;

  absl::Status load(const std::string& path);
  void check(const flow::FlowRecord& f);
  [[nodiscard]] const std::vector<Finding>& findings() const { return findings_; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  // One list of a [deny], [allow] or [except] table.
  struct Lists {
    std::vector<std::string> jurisdictions, countries, owners, tags, domains;
    std::vector<std::uint32_t> asns;
    [[nodiscard]] bool empty() const {
      return jurisdictions.empty() && countries.empty() && owners.empty() && tags.empty() && domains.empty() &&
             asns.empty();
    }
  };

 private:
  void breach(const flow::FlowRecord& f, const char* rule, std::string value);

  std::string path_;
  Lists deny_, allow_, except_;
  std::vector<Finding> findings_;
  struct Key {
    std::string rule, value;
    core::Endpoint server;
    std::uint8_t ip_proto;
    std::string name;  // only for records without a server address (App Privacy Report)
    bool operator==(const Key&) const = default;
    template <class H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.rule, k.value, k.server, k.ip_proto, k.name);
    }
  };
  absl::flat_hash_map<Key, std::size_t> index_;
  std::uint64_t dropped_ = 0;
};

}  // namespace tattle::detect
