// Which app sent a packet, as the capture tells it (PKTAP, pcapng process blocks and comments,
// PCAPdroid trailers). Apps are interned once per run; packets and flows carry only an AppId.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <absl/container/flat_hash_map.h>

namespace tattle::core {

using AppId = std::uint32_t;
inline constexpr AppId kNoApp = 0;

struct AppInfo {
  std::string name;            // process or package name; may be empty when only a uid is known
  std::int64_t pid = -1;
  std::string effective_name;  // delegated/effective process (Apple), empty if same or unknown
  std::int64_t effective_pid = -1;
  std::int64_t uid = -1;       // Android uid (PCAPdroid)

  bool operator==(const AppInfo&) const = default;
  template <class H>
  friend H AbslHashValue(H h, const AppInfo& a) {
    return H::combine(std::move(h), a.name, a.pid, a.effective_name, a.effective_pid, a.uid);
  }
};

// Not thread-safe: apps are interned on the thread that reads and decodes captures, and read
// back only after the workers have finished.
class AppRegistry {
 public:
  AppRegistry() { apps_.emplace_back(); }  // id 0 is kNoApp
  AppId intern(const AppInfo& info);
  [[nodiscard]] const AppInfo& get(AppId id) const { return apps_[id < apps_.size() ? id : 0]; }
  [[nodiscard]] std::size_t size() const { return apps_.size() - 1; }
  // Android uid -> package name, from PCAPdroid's UID map; used for apps known by uid alone.
  void name_uid(std::int64_t uid, std::string name) { uid_names_[uid] = std::move(name); }
  // The name to show: the app's own name, else the name its uid maps to, else "uid:N".
  [[nodiscard]] std::string display_name(AppId id) const;

 private:
  std::vector<AppInfo> apps_;
  absl::flat_hash_map<AppInfo, AppId> index_;
  absl::flat_hash_map<std::int64_t, std::string> uid_names_;
};

}  // namespace tattle::core
