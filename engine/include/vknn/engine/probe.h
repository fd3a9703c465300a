// Device probes: what the device itself can do, as yardsticks for the kernels
// (`vknn bench peak`, `vknn bench memory`). Each records one dispatch into a list.
#pragma once

#include "vknn/engine/commands.h"

namespace vknn {

// FMA peak: `invocations` invocations each run `iterations` x 128 independent fused
// multiply-adds in registers (a = a * mul + add on 32 vec4 chains) and write the sum of
// their chains to sums[i] (shaders/probe_fma.comp gives the chains' start values).
// Flops: probe_fma_flops(). Refused when `iterations` would pass the driver's loop limit or
// `sums` holds fewer than `invocations` floats.
struct FmaProbe {
  uint32_t invocations = 0, iterations = 0;
  float mul = 0.999f, add = 0.001f;
};
inline constexpr uint32_t kProbeFmaPerIteration = 128;
inline double probe_fma_flops(const FmaProbe& p) {
  return double(p.invocations) * p.iterations * kProbeFmaPerIteration * 2.0;
}
// Start value of chain j (0..31) of invocation i, as the shader computes it.
inline float probe_fma_start(uint32_t i, uint32_t j) { return 0.25f + 0.001f * float((i * 32u + j) % 1024u); }
Status record_probe_fma(CommandList& cl, const FmaProbe& p, const BufferRef& sums);

// Copy: dst = src, 16 bytes per invocation, as one vec4 or (wide) two 64-bit elements,
// which needs shaderInt64 (DeviceCaps::shader_int64). Both sizes must be equal multiples of
// 16. Bytes moved: 2 * src.size.
Status record_probe_copy(CommandList& cl, const BufferRef& src, const BufferRef& dst, bool wide = false);

}  // namespace vknn
