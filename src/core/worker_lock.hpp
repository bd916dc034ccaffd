// The lock of an object that flow workers share. A single-threaded run, the default, uses shared
// objects from one thread only and skips locking: an uncontended std::mutex still costs two
// atomic instructions, and every flow and DNS lookup passes several such objects.
#pragma once

#include <mutex>

namespace tattle::core {

class WorkerLock {
 public:
  // Shared (locking) unless told otherwise before any worker starts.
  void set_shared(bool shared) { shared_ = shared; }
  void lock() {
    if (shared_) mutex_.lock();
  }
  void unlock() {
    if (shared_) mutex_.unlock();
  }

 private:
  std::mutex mutex_;
  bool shared_ = true;
};

}  // namespace tattle::core
