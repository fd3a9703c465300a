#version 450
// Batch normalization statistics of this process's share of a synchronized batch norm, one
// workgroup per channel c (M = N*H*W elements), in two passes as batchnorm_forward.comp:
//   moments[c]     = mean = sum x / M
//   moments[C + c] = M2   = sum (x - mean)^2
// The host combines the processes' moments in double (Chan et al., "Updating formulae and a
// pairwise algorithm for computing sample variances", 1979), which keeps the two-pass
// accuracy that a sum of squares would lose to cancellation.
// Specialization: 0 = local size x (a power of two). Dispatch: (C, 1, 1).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };               // (N,C,H,W)
layout(binding = 1) writeonly buffer Moments_ { float moments[]; };  // (2,C)
#include "batchnorm_push.glsl"
#include "batchnorm_reduce.glsl"

void main() {
  const uint c = gl_WorkGroupID.x;
  const uint l = gl_LocalInvocationID.x;
  const uint L = gl_WorkGroupSize.x;
  float s = 0.0;
  for (uint n = 0; n < p.N; ++n) {
    const uint base = (n * p.C + c) * p.HW;
    for (uint e = l; e < p.HW; e += L) s += x[base + e];
  }
  const float mean = bn_workgroup_sum2(s, 0.0).x * p.inv_m;
  float q = 0.0;
  for (uint n = 0; n < p.N; ++n) {
    const uint base = (n * p.C + c) * p.HW;
    for (uint e = l; e < p.HW; e += L) {
      const float d = x[base + e] - mean;
      q = fma(d, d, q);
    }
  }
  const float m2 = bn_workgroup_sum2(q, 0.0).x;
  if (l == 0u) {
    moments[c] = mean;
    moments[p.C + c] = m2;
  }
}
