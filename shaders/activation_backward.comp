#version 450
// Backward of the element-wise activation from its input: dx = dy * f'(x)
// (flags & ACT_ACCUMULATE: dx += instead of dx =), one invocation per element.
// Specialization: 0 = local size x, 1 = KIND. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };    // (count), the forward's input
layout(binding = 1) readonly buffer DY_ { float dy[]; };  // (count)
layout(binding = 2) buffer DX_ { float dx[]; };           // (count)
#include "activation.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  float g = act_backward(x[i], dy[i]);
  if ((p.flags & ACT_ACCUMULATE) != 0u) g += dx[i];
  dx[i] = g;
}
