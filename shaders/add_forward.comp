#version 450
// Residual add: y = a + b (flags & ADD_ACCUMULATE_A: y += a + b), one invocation per element.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer A_ { float a[]; };  // (count)
layout(binding = 1) readonly buffer B_ { float b[]; };  // (count)
layout(binding = 2) buffer Y_ { float y[]; };           // (count)
#include "add_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  float v = a[i] + b[i];
  if ((p.flags & ADD_ACCUMULATE_A) != 0u) v += y[i];
  y[i] = v;
}
