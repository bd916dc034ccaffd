// Stage statistics: each stage declares `enum class XCounter { ..., kCount }` and a
// `std::string_view counter_name(XCounter)` beside it; Counters<XCounter> holds the values.
// The report lists every counter by name without knowing any stage's internals.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace tattle::core {

using Counter = std::uint64_t;

template <class E>
struct Counters {
  static constexpr std::size_t kSize = static_cast<std::size_t>(E::kCount);
  std::array<Counter, kSize> values{};

  Counter& operator[](E e) { return values[static_cast<std::size_t>(e)]; }
  Counter operator[](E e) const { return values[static_cast<std::size_t>(e)]; }
  void merge(const Counters& other) {
    for (std::size_t i = 0; i < kSize; ++i) values[i] += other.values[i];
  }
  // f(std::string_view name, Counter value) for every counter, in declaration order.
  template <class F>
  void visit(F&& f) const {
    for (std::size_t i = 0; i < kSize; ++i) f(counter_name(static_cast<E>(i)), values[i]);
  }
};

}  // namespace tattle::core
