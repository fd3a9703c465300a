#version 450
// Backward of y = a + b: the gradient fans out, da = dy and db = dy, each accumulated on
// request (ADD_ACCUMULATE_A/B: a later contributor of a summed gradient). The host sets both
// ADD_WRITE_A and ADD_WRITE_B (a single target is add_scaled instead: a writable stand-in
// binding would look like a write to the synchronization validation).
// Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer DY_ { float dy[]; };  // (count)
layout(binding = 1) buffer DA_ { float da[]; };           // (count)
layout(binding = 2) buffer DB_ { float db[]; };           // (count)
#include "add_push.glsl"

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  const float g = dy[i];
  if ((p.flags & ADD_WRITE_A) != 0u) da[i] = (p.flags & ADD_ACCUMULATE_A) != 0u ? da[i] + g : g;
  if ((p.flags & ADD_WRITE_B) != 0u) db[i] = (p.flags & ADD_ACCUMULATE_B) != 0u ? db[i] + g : g;
}
