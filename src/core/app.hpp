// Which app sent a packet, as the capture tells it (PKTAP, pcapng process blocks and comments,
// PCAPdroid trailers). Apps are interned once per run; packets and flows carry only an AppId.
#pragma once

#include <cstdint>
#include <mutex>
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

// Thread-safe: the reading thread interns while workers' sinks look names up. Both are rare
// (the decoder caches the last app; sinks look up once per flow), so one mutex is enough.
class AppRegistry {
 public:
  // Distinct apps (and uid names) kept at most: a hostile capture naming a new process in every
  // packet must not grow memory with its size. Beyond it, packets carry no app.
  static constexpr std::size_t kMaxApps = 1 << 16;

  AppRegistry() { apps_.emplace_back(); }  // id 0 is kNoApp
  AppId intern(const AppInfo& info);
  [[nodiscard]] AppInfo get(AppId id) const;
  [[nodiscard]] std::size_t size() const;
  // Android uid -> package name, from PCAPdroid's UID map; used for apps known by uid alone.
  void name_uid(std::int64_t uid, std::string name);
  // The name to show: the app's own name, else the name its uid maps to, else "uid:N".
  [[nodiscard]] std::string display_name(AppId id) const;
  // Apps and uid names not kept because of kMaxApps.
  [[nodiscard]] std::uint64_t dropped() const;

 private:
  mutable std::mutex mutex_;
  std::vector<AppInfo> apps_;
  absl::flat_hash_map<AppInfo, AppId> index_;
  absl::flat_hash_map<std::int64_t, std::string> uid_names_;
  std::uint64_t dropped_ = 0;
};

}  // namespace tattle::core
