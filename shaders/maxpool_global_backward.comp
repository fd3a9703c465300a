#version 450
// Global max pooling backward: dx[n,c,h,w] = dy[n,c] where h*W + w is the plane's argmax,
// else 0; optional accumulate.
// Specialization: 0 = local size x. Dispatch: (ceil(H*W / local), N*C, 1).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Arg_ { int argmax[]; };  // (N,C,1,1) from the forward
layout(binding = 1) readonly buffer DY_ { float dy[]; };     // (N,C,1,1)
layout(binding = 2) buffer DX_ { float dx[]; };              // (N,C,H,W), read when accumulating
layout(push_constant) uniform Push {
  uint planes;  // N*C
  uint HW;
  uint flags;   // 1: accumulate
} p;

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HW) return;
  const uint plane = gl_WorkGroupID.y;
  const uint i = plane * p.HW + hw;
  float g = argmax[plane] == int(hw) ? dy[plane] : 0.0;
  if ((p.flags & 1u) != 0u) g += dx[i];
  dx[i] = g;
}
