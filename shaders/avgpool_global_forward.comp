#version 450
// Global average pooling: y[n,c] = mean over h,w of x[n,c,h,w]. One invocation per (n,c)
// plane, summing in fp32 in a register loop (planes are small: 7x7, 8x8).
// Specialization: 0 = local size x. Dispatch: (ceil(N*C / local), 1, 1).
// Variant avgpool_global_forward_f16 (VKNN_F16): x and y are fp16 in memory (storage.glsl);
// the sums stay fp32.
#include "storage.glsl"
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { STORE_T x[]; };   // (N,C,H,W)
layout(binding = 1) writeonly buffer Y_ { STORE_T y[]; };  // (N,C) or (N,C,1,1)
layout(push_constant) uniform Push {
  uint planes;  // N*C
  uint HW;
  uint flags;   // unused by the forward
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.planes) return;
  const uint base = i * p.HW;
  // Four partial sums: shorter dependency chains, and pairwise-ish rounding.
  float s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  uint e = 0;
  for (; e + 4u <= p.HW; e += 4u) {
    s0 += float(x[base + e]);
    s1 += float(x[base + e + 1u]);
    s2 += float(x[base + e + 2u]);
    s3 += float(x[base + e + 3u]);
  }
  for (; e < p.HW; ++e) s0 += float(x[base + e]);
  y[i] = TO_STORE(((s0 + s1) + (s2 + s3)) / float(p.HW));
}
