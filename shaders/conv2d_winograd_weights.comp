#version 450
// Winograd weight transform: U[t, c, k] = (G w[k, c] GT)[t] for the 3x3 filters w, t < WA*WA
// (common/conv2d_winograd.glsl). Each invocation transforms the filters of 4 consecutive
// output channels k4*4..k4*4+3 for one input channel c and stores each t as one vec4; rows
// k >= K (the padding up to Kp) are zeros.
// Defines: WINO_M = 2 | 4 (conv2d_winograd_weights_f2 / _f4).
// Specialization: 0 = local size x. Dispatch: ceil(C * Kp/4 / LX), invocations numbered (c, k4).
layout(local_size_x_id = 0) in;
#include "conv2d_winograd.glsl"

layout(binding = 0) readonly buffer Wt_ { float w[]; };  // (K,C,3,3)
layout(binding = 1) writeonly buffer U_ { vec4 u[]; };   // (WA*WA, C, Kp/4) vec4s

void main() {
  const uint q = p.Kp / 4;
  if (gl_GlobalInvocationID.x >= p.C * q) return;
  const uint c = gl_GlobalInvocationID.x / q, k4 = gl_GlobalInvocationID.x % q;
  float ut[4][WT];
  [[unroll]] for (uint j = 0; j < 4; ++j) {
    const uint k = k4 * 4 + j;
    float g[9];
    [[unroll]] for (uint e = 0; e < 9; ++e) g[e] = k < p.K ? w[(k * p.C + c) * 9 + e] : 0.0;
    float tg[WA * 3];  // G g (WA x 3)
    [[unroll]] for (uint i = 0; i < WA; ++i)
      [[unroll]] for (uint s = 0; s < 3; ++s) {
        float v = 0.0;
        [[unroll]] for (uint r = 0; r < 3; ++r)
          if (G[i * 3 + r] != 0.0) v += G[i * 3 + r] * g[r * 3 + s];
        tg[i * 3 + s] = v;
      }
    [[unroll]] for (uint i = 0; i < WA; ++i)  // (G g) GT
      [[unroll]] for (uint l = 0; l < WA; ++l) {
        float v = 0.0;
        [[unroll]] for (uint s = 0; s < 3; ++s)
          if (G[l * 3 + s] != 0.0) v += tg[i * 3 + s] * G[l * 3 + s];
        ut[j][i * WA + l] = v;
      }
  }
  [[unroll]] for (uint t = 0; t < WT; ++t) u[(t * p.C + c) * q + k4] = vec4(ut[0][t], ut[1][t], ut[2][t], ut[3][t]);
}
