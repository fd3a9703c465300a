#version 450
// ReLU: y = max(x, 0), one invocation per element. y may be x itself (in place).
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };  // (count)
layout(binding = 1) writeonly buffer Y_ { float y[]; }; // (count)
#include "relu_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  const float v = x[i];
  y[i] = v > 0.0 ? v : 0.0;
}
