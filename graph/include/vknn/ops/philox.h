// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011), the counter-based generator behind the dropout masks. Header-only and
// dependency-free so that the CPU reference (tests/reference/philox.h) uses this very code
// and shaders/common/philox.glsl mirrors it word for word.
//
// Dropout's use of it (see dropout.h): counter = {element index, step, 0, 0},
// key = {uint32(seed), uint32(seed >> 32)}; r = output word 0; u = float(r >> 8) * 2^-24.
#pragma once

#include <array>
#include <cstdint>

namespace vknn::philox {

using Counter = std::array<uint32_t, 4>;
using Key = std::array<uint32_t, 2>;

inline constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
inline constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
inline constexpr int kRounds = 10;

constexpr Counter round(const Counter& c, const Key& k) {
  const uint64_t p0 = uint64_t(kM0) * c[0];
  const uint64_t p1 = uint64_t(kM1) * c[2];
  const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
  const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
  return {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
}

// Ten rounds, the key bumped by the Weyl constants between rounds (Random123's philox4x32_R).
constexpr Counter philox4x32_10(Counter c, Key k) {
  for (int r = 0; r < kRounds; ++r) {
    if (r > 0) k = {k[0] + kW0, k[1] + kW1};
    c = round(c, k);
  }
  return c;
}

// The dropout draw of element `index` at optimizer step `step`: a float in [0, 1) with 24
// random bits, exactly representable in fp32 (so CPU and GPU compare it identically).
constexpr float dropout_uniform(uint64_t seed, uint32_t step, uint32_t index) {
  const Counter r = philox4x32_10({index, step, 0u, 0u}, {uint32_t(seed), uint32_t(seed >> 32)});
  return float(r[0] >> 8) * 0x1.0p-24f;
}

// Whether dropout with rate p keeps the element: u >= p (p = 0 keeps everything).
constexpr bool dropout_keep(uint64_t seed, uint32_t step, uint32_t index, float p) {
  return dropout_uniform(seed, step, index) >= p;
}

}  // namespace vknn::philox
