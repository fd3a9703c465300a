#version 450
// Local response normalization across channels, the 2012 AlexNet paper's convention:
//   scale[n,c,h,w] = k + alpha * sum_{c'=max(0,c-half)}^{min(C-1,c+half)} x[n,c',h,w]^2
//   y = x * scale^-beta
// (alpha is NOT divided by the window size; see docs/ops.md). One invocation per element;
// the window's squares are summed directly (no running sum, so no cancellation).
// Specialization: 0 = local size x. Dispatch: (ceil(H*W / local), C, N): the channel and
// the image are the workgroup's y and z, so no invocation divides.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };          // (N,C,H,W)
layout(binding = 1) writeonly buffer Y_ { float y[]; };         // (N,C,H,W)
layout(binding = 2) writeonly buffer Scale_ { float scale[]; }; // (N,C,H,W), kept for the backward
#include "lrn_push.glsl"

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HW) return;
  const uint c = gl_WorkGroupID.y;
  const uint base = gl_WorkGroupID.z * p.C * p.HW + hw;  // element (n, 0, h, w)
  const uint i = base + c * p.HW;
  const uint c0 = c >= p.half_size ? c - p.half_size : 0u;
  const uint c1 = min(c + p.half_size, p.C - 1u);
  float sq = 0.0;
  for (uint j = c0; j <= c1; ++j) {
    const float v = x[base + j * p.HW];
    sq = fma(v, v, sq);
  }
  const float s = fma(p.alpha, sq, p.k);
  scale[i] = s;
  y[i] = x[i] * pow(s, -p.beta);
}
