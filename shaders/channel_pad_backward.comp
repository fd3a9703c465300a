#version 450
// Gradient of the strided identity with zero-padded channels:
//   dx[n,c,h,w] = dy[n, c + offset, h/stride, w/stride] where stride divides h and w, else 0.
// The padded channels of dy are not read. flags & 1: dx += instead of =.
// Specialization: 0 = local size x. Dispatch: (ceil(H*W / local), C, N).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer DY_ { float dy[]; };  // (N,CO,HO,WO)
layout(binding = 1) buffer DX_ { float dx[]; };           // (N,C,H,W), read when accumulating
#include "channel_pad_push.glsl"

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.H * p.W) return;
  const uint c = gl_WorkGroupID.y, n = gl_WorkGroupID.z;
  const uint h = hw / p.W, w = hw % p.W;
  float g = 0.0;
  if (h % p.stride == 0u && w % p.stride == 0u)
    g = dy[((n * p.CO + c + p.offset) * p.HO + h / p.stride) * p.WO + w / p.stride];
  const uint i = (n * p.C + c) * (p.H * p.W) + hw;
  if ((p.flags & 1u) != 0u) g += dx[i];
  dx[i] = g;
}
