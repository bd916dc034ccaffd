#include "core/app.hpp"

namespace tattle::core {

AppId AppRegistry::intern(const AppInfo& info) {
  if (info == AppInfo{}) return kNoApp;
  const std::lock_guard lock(mutex_);
  const auto [it, inserted] = index_.try_emplace(info, static_cast<AppId>(apps_.size()));
  if (inserted) apps_.push_back(info);
  return it->second;
}

AppInfo AppRegistry::get(AppId id) const {
  const std::lock_guard lock(mutex_);
  return apps_[id < apps_.size() ? id : 0];
}

std::size_t AppRegistry::size() const {
  const std::lock_guard lock(mutex_);
  return apps_.size() - 1;
}

void AppRegistry::name_uid(std::int64_t uid, std::string name) {
  const std::lock_guard lock(mutex_);
  uid_names_[uid] = std::move(name);
}

std::string AppRegistry::display_name(AppId id) const {
  const std::lock_guard lock(mutex_);
  const AppInfo& a = apps_[id < apps_.size() ? id : 0];
  if (!a.name.empty()) return a.name;
  if (a.uid >= 0) {
    if (auto it = uid_names_.find(a.uid); it != uid_names_.end()) return it->second;
    return "uid:" + std::to_string(a.uid);
  }
  if (a.pid >= 0) return "pid:" + std::to_string(a.pid);
  return {};
}

}  // namespace tattle::core
