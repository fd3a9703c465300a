#version 450
// LRN backward (paper convention, see lrn_forward.comp):
//   dx[c] = dy[c] * scale[c]^-beta
//           - 2*alpha*beta * x[c] * sum_{j=max(0,c-half)}^{min(C-1,c+half)} dy[j] * x[j] * scale[j]^(-beta-1)
// (the window is symmetric, so the j whose window holds c are the j in c's window).
// Gathers per dx element, so there are no atomics; optional accumulate into dx.
// Specialization: 0 = local size x. Dispatch: (ceil(H*W / local), C, N): the channel and
// the image are the workgroup's y and z, so no invocation divides.
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer X_ { float x[]; };          // (N,C,H,W) forward input
layout(binding = 1) readonly buffer Scale_ { float scale[]; };  // (N,C,H,W) from the forward
layout(binding = 2) readonly buffer DY_ { float dy[]; };        // (N,C,H,W)
layout(binding = 3) buffer DX_ { float dx[]; };                 // (N,C,H,W), read when accumulating
#include "lrn_push.glsl"

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HW) return;
  const uint c = gl_WorkGroupID.y;
  const uint base = gl_WorkGroupID.z * p.C * p.HW + hw;  // element (n, 0, h, w)
  const uint i = base + c * p.HW;
  const uint c0 = c >= p.half_size ? c - p.half_size : 0u;
  const uint c1 = min(c + p.half_size, p.C - 1u);
  const float nb1 = -p.beta - 1.0;
  float acc = 0.0;
  for (uint j = c0; j <= c1; ++j) {
    const uint e = base + j * p.HW;
    acc = fma(dy[e] * x[e], pow(scale[e], nb1), acc);
  }
  float g = dy[i] * pow(scale[i], -p.beta) - 2.0 * p.alpha * p.beta * x[i] * acc;
  if ((p.flags & LRN_ACCUMULATE) != 0u) g += dx[i];
  dx[i] = g;
}
