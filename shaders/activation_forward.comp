#version 450
// Element-wise activation y = f(x), f chosen by KIND (common/activation.glsl), one invocation
// per element. y may be x itself (in place).
// Specialization: 0 = local size x, 1 = KIND. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };   // (count)
layout(binding = 1) writeonly buffer Y_ { float y[]; };  // (count)
#include "activation.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  y[i] = act_forward(x[i]);
}
