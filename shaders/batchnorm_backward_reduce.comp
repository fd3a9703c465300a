#version 450
// The per-channel sums of a synchronized batch norm's backward over this process's share,
// one workgroup per channel c (M = N*H*W elements), with the statistics the forward saved:
//   g = dy, or dy masked by y > 0 when BN_RELU;  xhat = (x - mean) * invstd
//   sums[c] = sum g,  sums[C + c] = sum g * xhat
// The host adds them over the processes; batchnorm_backward.comp (BN_GIVEN) then computes dx.
// Specialization: 0 = local size x (a power of two). Dispatch: (C, 1, 1).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };                   // (N,C,H,W)
layout(binding = 1) readonly buffer SaveMean_ { float save_mean[]; };    // (C)
layout(binding = 2) readonly buffer SaveInvstd_ { float save_invstd[]; };// (C)
layout(binding = 3) readonly buffer Y_ { float y[]; };                   // (N,C,H,W); any buffer without BN_RELU
layout(binding = 4) readonly buffer DY_ { float dy[]; };                 // (N,C,H,W)
layout(binding = 5) writeonly buffer Sums_ { float sums[]; };            // (2,C)
#include "batchnorm_push.glsl"
#include "batchnorm_reduce.glsl"

void main() {
  const uint c = gl_WorkGroupID.x;
  const uint l = gl_LocalInvocationID.x;
  const uint L = gl_WorkGroupSize.x;
  const float mean = save_mean[c], invstd = save_invstd[c];
  const bool relu = (p.flags & BN_RELU) != 0u;
  float sg = 0.0, sgx = 0.0;
  for (uint n = 0; n < p.N; ++n) {
    const uint base = (n * p.C + c) * p.HW;
    for (uint e = l; e < p.HW; e += L) {
      const uint i = base + e;
      float g = dy[i];
      if (relu && !(y[i] > 0.0)) g = 0.0;
      sg += g;
      sgx = fma(g, (x[i] - mean) * invstd, sgx);
    }
  }
  const vec2 sums2 = bn_workgroup_sum2(sg, sgx);
  if (l == 0u) {
    sums[c] = sums2.x;
    sums[p.C + c] = sums2.y;
  }
}
