#version 450
// y = alpha * x (flags & ADD_ACCUMULATE_A: y += alpha * x): record_accumulate (dst += src)
// and record_scale. One invocation per element.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };  // (count)
layout(binding = 1) buffer Y_ { float y[]; };           // (count)
#include "add_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  float v = p.alpha * x[i];
  if ((p.flags & ADD_ACCUMULATE_A) != 0u) v += y[i];
  y[i] = v;
}
