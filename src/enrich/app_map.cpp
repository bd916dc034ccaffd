#include "enrich/app_map.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>

#include <absl/strings/ascii.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>

namespace tattle::enrich {

namespace {

bool in_prefix(const core::IpAddress& a, const core::IpAddress& net, unsigned prefix) {
  if (a.version != net.version) return false;
  const unsigned full = prefix / 8, rest = prefix % 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + full, net.bytes.begin())) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (net.bytes[full] & mask);
}

}  // namespace

absl::Status AppMap::load(const std::string& path, core::AppRegistry& apps) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot be read", path));
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const auto where = [&] { return fmt::format("{}:{}: ", path, number); };
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    if (fields.size() != 2)
      return absl::InvalidArgumentError(where() + "expected ADDRESS[/PREFIX] NAME");
    if (rules_.size() >= kMaxRules) return absl::ResourceExhaustedError(where() + "too many rules");
    Rule r;
    absl::string_view addr = fields[0];
    std::string_view prefix_text;
    if (const auto slash = addr.find('/'); slash != absl::string_view::npos) {
      prefix_text = std::string_view(addr.data() + slash + 1, addr.size() - slash - 1);
      addr = addr.substr(0, slash);
    }
    r.network = core::IpAddress::parse(std::string(addr));
    if (r.network.version == 0)
      return absl::InvalidArgumentError(where() + fmt::format("{} is not an address", std::string(addr)));
    const unsigned max = r.network.version == 4 ? 32 : 128;
    r.prefix = max;
    if (!prefix_text.empty()) {
      const auto [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), r.prefix);
      if (ec != std::errc{} || end != prefix_text.data() + prefix_text.size() || r.prefix > max)
        return absl::InvalidArgumentError(where() + "the prefix length is not valid");
    }
    r.app = apps.intern(core::AppInfo{.name = std::string(fields[1])});
    if (r.app == core::kNoApp) return absl::ResourceExhaustedError(where() + "too many apps");
    rules_.push_back(r);
  }
  std::stable_sort(rules_.begin(), rules_.end(), [](const Rule& a, const Rule& b) { return a.prefix > b.prefix; });
  return absl::OkStatus();
}

core::AppId AppMap::find(const core::IpAddress& addr) const {
  for (const auto& r : rules_)
    if (in_prefix(addr, r.network, r.prefix)) return r.app;
  return core::kNoApp;
}

}  // namespace tattle::enrich
