#include "core/app.hpp"

namespace tattle::core {

AppId AppRegistry::intern(const AppInfo& info) {
  if (info == AppInfo{}) return kNoApp;
  const auto [it, inserted] = index_.try_emplace(info, static_cast<AppId>(apps_.size()));
  if (inserted) apps_.push_back(info);
  return it->second;
}

std::string AppRegistry::display_name(AppId id) const {
  const AppInfo& a = get(id);
  if (!a.name.empty()) return a.name;
  if (a.uid >= 0) {
    if (auto it = uid_names_.find(a.uid); it != uid_names_.end()) return it->second;
    return "uid:" + std::to_string(a.uid);
  }
  if (a.pid >= 0) return "pid:" + std::to_string(a.pid);
  return {};
}

}  // namespace tattle::core
