#version 450
// LRN backward, the variant for CPU drivers (see lrn_forward_column.comp): one invocation
// per pixel column walks the channels keeping, for the window's channels j, in registers
//   t[j] = dy[j] * x[j] * scale[j]^(-beta-1)   and   a[j] = dy[j] * scale[j]^-beta,
// so each needs one pow per element (lrn_backward.comp recomputes SIZE of them). Then
//   dx[c] = a[c] - 2*alpha*beta * x[c] * sum_{j=max(0,c-half)}^{min(C-1,c+half)} t[j].
// Optional accumulate into dx.
// Specialization: 0 = local size x; 1 = SIZE, the (odd) window. Dispatch: (ceil(H*W / local), N, 1).
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint SIZE = 5;
const uint HALF = SIZE / 2u;

layout(binding = 0) readonly buffer X_ { float x[]; };          // (N,C,H,W) forward input
layout(binding = 1) readonly buffer Scale_ { float scale[]; };  // (N,C,H,W) from the forward
layout(binding = 2) readonly buffer DY_ { float dy[]; };        // (N,C,H,W)
layout(binding = 3) buffer DX_ { float dx[]; };                 // (N,C,H,W), read when accumulating
#include "lrn_push.glsl"

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HW) return;
  const uint base = gl_WorkGroupID.y * p.C * p.HW + hw;  // element (n, 0, h, w)
  const float two_ab = 2.0 * p.alpha * p.beta;
  const bool accumulate = (p.flags & LRN_ACCUMULATE) != 0u;
  // Channels j-SIZE+1 .. j, zeros outside 0..C-1.
  float xs[SIZE], t[SIZE], a[SIZE];
  for (uint k = 0; k < SIZE; ++k) xs[k] = t[k] = a[k] = 0.0;
  for (uint j = 0; j < p.C + HALF; ++j) {
    for (uint k = 0; k + 1u < SIZE; ++k) {
      xs[k] = xs[k + 1u];
      t[k] = t[k + 1u];
      a[k] = a[k + 1u];
    }
    float xv = 0.0, tv = 0.0, av = 0.0;
    if (j < p.C) {
      const uint e = base + j * p.HW;
      xv = x[e];
      const float s = scale[e], g = dy[e];
      const float pw = pow(s, -p.beta);
      av = g * pw;
      tv = av * xv / s;
    }
    xs[SIZE - 1u] = xv;
    t[SIZE - 1u] = tv;
    a[SIZE - 1u] = av;
    if (j >= HALF) {  // the window is complete for channel c = j - HALF, at index HALF
      const uint e = base + (j - HALF) * p.HW;
      float s = 0.0;
      for (uint k = 0; k < SIZE; ++k) s += t[k];
      float g = a[HALF] - two_ab * xs[HALF] * s;
      if (accumulate) g += dx[e];
      dx[e] = g;
    }
  }
}
