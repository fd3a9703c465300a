#version 450
// ReLU backward in place: g = g * [y > 0], where g holds dy on entry and dx on exit.
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Y_ { float y[]; };  // (count), the forward's output
layout(binding = 1) buffer G_ { float g[]; };           // (count): dy in, dx out
#include "relu_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  if (!(y[i] > 0.0)) g[i] = 0.0;
}
