#version 450
// LRN forward, the variant for CPU drivers: one invocation per pixel column (n, h, w)
// walks the channels with the window's squares in registers, so each x is loaded once
// and each scale computed once (lrn_forward.comp, one invocation per element, re-reads
// the window and suits GPUs, where N*H*W invocations would be too few). Same math:
//   scale[c] = k + alpha * sum_{c'=max(0,c-half)}^{min(C-1,c+half)} x[c']^2, y = x * scale^-beta.
// Specialization: 0 = local size x; 1 = SIZE, the (odd) window. Dispatch: (ceil(H*W / local), N, 1).
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint SIZE = 5;
const uint HALF = SIZE / 2u;

layout(binding = 0) readonly buffer X_ { float x[]; };          // (N,C,H,W)
layout(binding = 1) writeonly buffer Y_ { float y[]; };         // (N,C,H,W)
layout(binding = 2) writeonly buffer Scale_ { float scale[]; }; // (N,C,H,W), kept for the backward
#include "lrn_push.glsl"

void main() {
  const uint hw = gl_GlobalInvocationID.x;
  if (hw >= p.HW) return;
  const uint base = gl_WorkGroupID.y * p.C * p.HW + hw;  // element (n, 0, h, w)
  // Channels j-SIZE+1 .. j, zeros outside 0..C-1 (a zero square adds nothing, which is
  // the window's clipping at the edges).
  float xs[SIZE], sq[SIZE];
  for (uint k = 0; k < SIZE; ++k) xs[k] = sq[k] = 0.0;
  for (uint j = 0; j < p.C + HALF; ++j) {
    for (uint k = 0; k + 1u < SIZE; ++k) {
      xs[k] = xs[k + 1u];
      sq[k] = sq[k + 1u];
    }
    const float v = j < p.C ? x[base + j * p.HW] : 0.0;
    xs[SIZE - 1u] = v;
    sq[SIZE - 1u] = v * v;
    if (j >= HALF) {  // the window is complete for channel c = j - HALF, at xs[HALF]
      const uint e = base + (j - HALF) * p.HW;
      float s = 0.0;
      for (uint k = 0; k < SIZE; ++k) s += sq[k];
      const float sc = fma(p.alpha, s, p.k);
      scale[e] = sc;
      y[e] = xs[HALF] * pow(sc, -p.beta);
    }
  }
}
