#include "core/app.hpp"

namespace tattle::core {

AppId AppRegistry::intern(const AppInfo& info) {
  if (info == AppInfo{}) return kNoApp;
  const std::lock_guard lock(mutex_);
  if (auto it = index_.find(info); it != index_.end()) return it->second;
  if (apps_.size() > kMaxApps) {
    ++dropped_;
    return kNoApp;
  }
  const auto id = static_cast<AppId>(apps_.size());
  apps_.push_back(info);
  index_.emplace(info, id);
  return id;
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
  if (uid_names_.size() >= kMaxApps && !uid_names_.contains(uid)) {
    ++dropped_;
    return;
  }
  uid_names_[uid] = std::move(name);
}

std::uint64_t AppRegistry::dropped() const {
  const std::lock_guard lock(mutex_);
  return dropped_;
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
