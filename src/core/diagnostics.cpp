#include "core/diagnostics.hpp"

#include <fmt/format.h>

namespace tattle::core {

std::uint32_t Diagnostics::add_input(std::string path) {
  inputs_.push_back(InputWarnings{std::move(path), {}, 0});
  return static_cast<std::uint32_t>(inputs_.size() - 1);
}

void Diagnostics::warn(std::uint32_t input, std::uint64_t offset, std::string message) {
  if (input >= inputs_.size()) return;
  InputWarnings& in = inputs_[input];
  ++in.total;
  if (echo_ != nullptr && in.total <= kEcho) {
    fmt::print(echo_, "tattle: {}: offset {}: {}\n", in.path, offset, message);
    if (in.total == kEcho) fmt::print(echo_, "tattle: {}: further warnings are counted, not shown\n", in.path);
  }
  if (in.kept.size() < kKeep) in.kept.push_back(Warning{offset, std::move(message)});
}

std::uint64_t Diagnostics::total() const {
  std::uint64_t n = 0;
  for (const auto& in : inputs_) n += in.total;
  return n;
}

}  // namespace tattle::core
