#version 450
// Overflow check of mixed-precision training: flag[0] = 1 if any x[i] is an inf or a NaN
// (exponent bits all ones; a bit test, so no fast-math assumption can drop it). Every
// invocation that finds one writes the same value; the flag is cleared before the first
// dispatch (grad_check.cpp). Specialization: 0 = local size x. Dispatch: ceil(count / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { uint x[]; };  // (count) fp32 bits
layout(binding = 1) buffer Flag_ { float flag[]; };    // (1)
layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  const uint i = gl_GlobalInvocationID.x;
  if (i >= p.count) return;
  if ((x[i] & 0x7f800000u) == 0x7f800000u) flag[0] = 1.0;
}
