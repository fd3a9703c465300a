#version 450
// Residual add: y = a + b (flags & ADD_ACCUMULATE_A: y += a + b), one invocation per element.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
// Variant add_forward_f16 (VKNN_F16): a, b and y are fp16 in memory (storage.glsl); the sum
// is fp32, rounded once on the way out.
#include "storage.glsl"
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer A_ { STORE_T a[]; };  // (count)
layout(binding = 1) readonly buffer B_ { STORE_T b[]; };  // (count)
layout(binding = 2) buffer Y_ { STORE_T y[]; };           // (count)
#include "add_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  float v = float(a[i]) + float(b[i]);
  if ((p.flags & ADD_ACCUMULATE_A) != 0u) v += float(y[i]);
  y[i] = TO_STORE(v);
}
