// Warnings about damaged input, each naming the file and the byte offset where it was found.
// Kept for the report (bounded per input) and echoed to stderr as one line each (bounded too).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace tattle::core {

struct Warning {
  std::uint64_t offset = 0;  // byte offset in the (decompressed) input file
  std::string message;
};

struct InputWarnings {
  std::string path;
  std::vector<Warning> kept;  // the first kKeep warnings
  std::uint64_t total = 0;    // all warnings, kept or not
};

// Not thread-safe: used by the thread that reads and decodes.
class Diagnostics {
 public:
  static constexpr std::size_t kKeep = 100;   // warnings kept per input for the report
  static constexpr std::size_t kEcho = 20;    // warnings echoed per input to stderr

  // `echo` may be null (tests, fuzzing).
  explicit Diagnostics(std::FILE* echo = nullptr) : echo_(echo) {}

  // Registers an input; returns its index, used by warn().
  std::uint32_t add_input(std::string path);
  void warn(std::uint32_t input, std::uint64_t offset, std::string message);

  [[nodiscard]] const std::vector<InputWarnings>& inputs() const { return inputs_; }
  [[nodiscard]] std::uint64_t total() const;

 private:
  std::FILE* echo_;
  std::vector<InputWarnings> inputs_;
};

}  // namespace tattle::core
