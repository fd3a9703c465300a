#version 450
// ReLU: y = max(x, 0), one invocation per element. y may be x itself (in place).
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
// Variant relu_forward_f16 (VKNN_F16): x and y are fp16 in memory (storage.glsl).
#include "storage.glsl"
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { STORE_T x[]; };  // (count)
layout(binding = 1) writeonly buffer Y_ { STORE_T y[]; }; // (count)
#include "relu_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  const float v = float(x[i]);
  y[i] = TO_STORE(v > 0.0 ? v : 0.0);
}
