#include "app/keys_command.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/pipeline.hpp"
#include "capture/keystrokes.hpp"

namespace tattle::app {

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

double now_seconds() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

void add_keys_record_options(CLI::App& cmd, KeysRecordOptions& o) {
  cmd.add_option("--device", o.device, "The keyboard's input device, /dev/input/eventN (see /proc/bus/input/devices)")
      ->required();
  cmd.add_option("--out", o.output, "The keystroke log to write ('-': stdout)")->required();
  cmd.add_option("--duration", o.duration, "Stop after this many seconds (default: at Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
}

int run_keys_record(const KeysRecordOptions& o) {
  const int fd = ::open(o.device.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fmt::print(stderr, "tattle: cannot read {}: {}{}\n", o.device, std::strerror(errno),
               errno == EACCES ? " (input devices are readable by root or the input group)" : "");
    return kExitUnreadable;
  }
  // Event times on the wall clock, as captures have them (a device's default, set anyway: an
  // earlier reader may have asked for another clock). A file of events has no clock to set.
  int clock = CLOCK_REALTIME;
  (void)::ioctl(fd, EVIOCSCLOCKID, &clock);
  std::FILE* out = o.output == "-" ? stdout : std::fopen(o.output.c_str(), "w");
  if (out == nullptr) {
    fmt::print(stderr, "tattle: cannot write {}: {}\n", o.output, std::strerror(errno));
    ::close(fd);
    return kExitUnreadable;
  }
  fmt::print(out, "# tattle keys record: key-down times only, no key codes (docs/keystrokes.md)\n");
  fmt::print(out, "# device: {}\n# clock: realtime\ntime\n", o.device);
  std::fflush(out);

  struct sigaction action {};
  action.sa_handler = request_stop;  // no SA_RESTART: a blocked read returns at once
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  const double until = o.duration > 0 ? now_seconds() + o.duration : 0;
  std::uint64_t written = 0;
  bool failed = false;
  input_event events[64];
  while (stop_requested == 0) {
    int wait_ms = -1;
    if (until > 0) {
      const double left = until - now_seconds();
      if (left <= 0) break;
      wait_ms = static_cast<int>(left * 1000) + 1;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;
    const ssize_t n = ready < 0 ? -1 : ::read(fd, events, sizeof events);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fmt::print(stderr, "tattle: reading {}: {}\n", o.device, std::strerror(errno));
      failed = true;
      break;
    }
    if (n == 0) break;  // a file of events: its end
    const auto count = static_cast<std::size_t>(n) / sizeof(input_event);
    for (std::size_t i = 0; i < count; ++i) {
      const input_event& e = events[i];
      if (e.type != EV_KEY || e.value != 1 || !capture::typing_key_code(e.code)) continue;
      fmt::print(out, "{}.{:06}\n", static_cast<long long>(e.input_event_sec), static_cast<long>(e.input_event_usec));
      ++written;
    }
    std::fflush(out);  // a log cut short by a kill still ends on a whole line
  }
  ::close(fd);
  if ((out != stdout && std::fclose(out) != 0) || (out == stdout && std::fflush(out) != 0)) {
    fmt::print(stderr, "tattle: writing {} failed: {}\n", o.output, std::strerror(errno));
    return kExitUnreadable;
  }
  fmt::print(stderr, "tattle: {} key-down times written to {}\n", written, o.output);
  return failed ? kExitUnreadable : kExitOk;
}

}  // namespace tattle::app
