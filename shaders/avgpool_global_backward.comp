#version 450
// Global average pooling backward: dx[n,c,h,w] = dy[n,c] / (H*W), optional accumulate.
// Specialization: 0 = local size x. Dispatch: (ceil(H*W / local), N*C, 1).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer DY_ { float dy[]; };  // (N,C) or (N,C,1,1)
layout(binding = 1) buffer DX_ { float dx[]; };           // (N,C,H,W), read when accumulating
layout(push_constant) uniform Push {
  uint planes;  // N*C
  uint HW;
  uint flags;  // 1: accumulate
} p;

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HW) return;
  const uint plane = gl_WorkGroupID.y;
  const uint i = plane * p.HW + hw;
  float g = dy[plane] / float(p.HW);
  if ((p.flags & 1u) != 0u) g += dx[i];
  dx[i] = g;
}
