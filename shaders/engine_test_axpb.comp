#version 450
// y[i] = a * x[i] + b + offset_per_group * gl_WorkGroupID.x, for i < n (engine tests:
// barriers, dispatch splitting, specialization constants).
// Specialization: constant 0 = local size x, constant 1 = extra addend (default 0).
// Push: n, a, b, group_term.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const float kAddend = 0.0;

layout(binding = 0) readonly buffer X { float x[]; };   // (n)
layout(binding = 1) writeonly buffer Y { float y[]; };  // (n)

layout(push_constant) uniform Push {
  uint n;
  float a;
  float b;
  float group_term;  // multiplied by the workgroup id, to prove split dispatches see their true id
} p;

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i >= p.n) return;
  y[i] = p.a * x[i] + p.b + kAddend + p.group_term * float(gl_WorkGroupID.x);
}
