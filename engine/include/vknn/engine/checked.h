// Overflow-checked integer arithmetic for parsers of untrusted bytes. Every size a file
// declares (a count times an element size, a shape's product, an offset plus a length) goes
// through these instead of a bare `*` or `+`, whose wrap-around let a safetensors tensor of
// shape [2^31, 2^31] claim 0 bytes. The builtins are GCC's and Clang's
// (https://gcc.gnu.org/onlinedocs/gcc/Integer-Overflow-Builtins.html): exact, whatever the
// operand types, and nullopt whenever the true result does not fit in T.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace vknn {

template <std::integral T, std::integral A, std::integral B>
[[nodiscard]] constexpr std::optional<T> checked_mul(A a, B b) {
  T r{};
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

template <std::integral T, std::integral A, std::integral B>
[[nodiscard]] constexpr std::optional<T> checked_add(A a, B b) {
  T r{};
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// The product of `factors` times `init` (e.g. an element size), nullopt if a factor is
// negative or any partial product (so a zero after a huge factor too) does not fit in T or exceeds `limit`.
template <std::integral T, class Range>
[[nodiscard]] constexpr std::optional<T> checked_product(const Range& factors, T init = 1,
                                                         T limit = std::numeric_limits<T>::max()) {
  T n = init;
  for (const auto& f : factors) {
    if constexpr (std::is_signed_v<std::remove_cvref_t<decltype(f)>>)
      if (f < 0) return std::nullopt;
    const std::optional<T> next = checked_mul<T>(n, f);
    if (!next || *next > limit) return std::nullopt;
    n = *next;
  }
  return n;
}

}  // namespace vknn
