#version 450
// Channel shuffle as a gather, used by the forward and (with the inverse grouping) by the
// backward (vknn/ops/channel_shuffle.h):
//   y[n, c, hw] (+)= x[n, (c % groups) * (C / groups) + c / groups, hw]
// The backward records it with groups' = C / groups, reading dy and writing dx.
// Specialization: 0 = local size x. Dispatch: (ceil(HW / local), C, N): one invocation per
// output element, a workgroup row per output plane.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };  // (N,C,HW)
layout(binding = 1) buffer Y_ { float y[]; };           // (N,C,HW), read when accumulating
layout(push_constant) uniform Push {  // mirrors ChannelShufflePush in graph/src/ops/channel_shuffle.cpp
  uint C, HW;
  uint groups;  // divides C
  uint flags;   // 1 = accumulate
} p;

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HW) return;
  const uint c = gl_WorkGroupID.y, n = gl_WorkGroupID.z;
  const uint per_group = p.C / p.groups;
  const uint source = (c % p.groups) * per_group + c / p.groups;
  const uint o = (n * p.C + c) * p.HW + hw;
  float v = x[(n * p.C + source) * p.HW + hw];
  if ((p.flags & 1u) != 0u) v += y[o];
  y[o] = v;
}
