#version 450
// Global max pooling, the max pooling whose window is a whole unpadded (n,c) plane:
// y[n,c] = max over h,w of x[n,c,h,w], argmax = h*W + w of the FIRST maximum in row-major
// order; a NaN wins (and propagates), as in maxpool_forward.comp. One invocation per plane,
// a register loop: the windowed shader would leave all but one lane of each workgroup idle.
// Specialization: 0 = local size x. Dispatch: (ceil(N*C / local), 1, 1).
// Variant maxpool_global_forward_f16 (VKNN_F16): x and y are fp16 in memory (storage.glsl).
#include "storage.glsl"
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { STORE_T x[]; };        // (N,C,H,W)
layout(binding = 1) writeonly buffer Y_ { STORE_T y[]; };       // (N,C,1,1)
layout(binding = 2) writeonly buffer Arg_ { int argmax[]; };  // (N,C,1,1), int32
layout(push_constant) uniform Push {
  uint planes;  // N*C
  uint HW;
  uint flags;   // unused by the forward
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.planes) return;
  const uint base = i * p.HW;
  float best = float(x[base]);
  int best_i = 0;
  for (uint e = 1u; e < p.HW; ++e) {
    const float v = float(x[base + e]);
    if (v > best || (isnan(v) && !isnan(best))) {  // strict: the first maximum stays
      best = v;
      best_i = int(e);
    }
  }
  y[i] = TO_STORE(best);
  argmax[i] = best_i;
}
