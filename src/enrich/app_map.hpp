// `--app-map FILE`: names the device (or app) behind client addresses when the capture itself
// says nothing about apps. One rule a line, "ADDRESS[/PREFIX] NAME" ("#" starts a comment); the
// longest matching prefix wins.
#pragma once

#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "core/app.hpp"
#include "core/ip_address.hpp"

namespace tattle::enrich {

class AppMap {
 public:
  static constexpr std::size_t kMaxRules = 1 << 16;

  // Reads the rules; their names are interned in `apps`.
  absl::Status load(const std::string& path, core::AppRegistry& apps);
  // The app of the longest prefix holding `addr`; kNoApp when none does.
  [[nodiscard]] core::AppId find(const core::IpAddress& addr) const;
  [[nodiscard]] bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    core::IpAddress network;
    unsigned prefix = 0;
    core::AppId app = core::kNoApp;
  };
  std::vector<Rule> rules_;  // longest prefix first
};

}  // namespace tattle::enrich
