// `tattle keys record`: writes WHEN keys go down on a Linux input device (evdev), as a keystroke
// log for `tattle audit --keystrokes`. Never which keys: a code is looked at only to tell a key
// from a mouse button or a power key, and nothing of it is written or kept.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace tattle::app {

struct KeysRecordOptions {
  std::string device;  // /dev/input/eventN (or a file of input_event records)
  std::string output;  // "-": standard output
  double duration = 0;  // seconds; 0: until interrupted (or the input ends)
};

void add_keys_record_options(CLI::App& cmd, KeysRecordOptions& o);
int run_keys_record(const KeysRecordOptions& o);

}  // namespace tattle::app
