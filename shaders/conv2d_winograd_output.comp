#version 450
// Winograd output transform and the convolution's epilogue (common/conv2d_winograd.glsl):
//   y[n, k, th*WM + i, tw*WM + e] = act((AT M[., k, q] A)[i, e] + bias[k] + res[n, k, .])
// for tile q = (n, th, tw), keeping the pixels inside OH x OW. Each invocation reads the WA*WA
// values of 4 consecutive tiles of one channel as vec4s and writes their pixels. y may be a
// channel slice of a wider tensor (y_channels, y_channel0).
// Defines: WINO_M = 2 | 4 (conv2d_winograd_output_f2 / _f4).
// Specialization: 0 = local size x. Dispatch: ceil(K * Pp/4 / LX), invocations numbered (k, q4).
layout(local_size_x_id = 0) in;
#include "conv2d_winograd.glsl"

layout(binding = 0) readonly buffer M_ { vec4 m[]; };        // (WA*WA, Kp, Pp/4) vec4s
layout(binding = 1) readonly buffer Bias_ { float bias[]; }; // (K), read with WINO_BIAS
layout(binding = 2) writeonly buffer Y_ { float y[]; };      // (N, y_channels, OH, OW)
layout(binding = 3) readonly buffer Res_ { float res[]; };   // (N,K,OH,OW), read with WINO_RESIDUAL

void main() {
  const uint qs = p.Pp / 4;
  if (gl_GlobalInvocationID.x >= p.K * qs) return;
  const uint k = gl_GlobalInvocationID.x / qs, q4 = gl_GlobalInvocationID.x % qs;
  if (q4 * 4 >= p.P) return;
  const uint tiles = p.TH * p.TW, OHW = p.OH * p.OW;
  vec4 mt[WT];
  [[unroll]] for (uint t = 0; t < WT; ++t) mt[t] = m[(t * p.Kp + k) * qs + q4];
  const float b = (p.flags & WINO_BIAS) != 0u ? bias[k] : 0.0;
  [[unroll]] for (uint j = 0; j < 4; ++j) {
    const uint q = q4 * 4 + j;
    if (q >= p.P) break;
    float am[WM * WA];  // AT M
    [[unroll]] for (uint i = 0; i < WM; ++i)
      [[unroll]] for (uint e = 0; e < WA; ++e) {
        float s = 0.0;
        [[unroll]] for (uint l = 0; l < WA; ++l)
          if (AT[i * WA + l] != 0.0) s += AT[i * WA + l] * mt[l * WA + e][j];
        am[i * WA + e] = s;
      }
    const uint n = q / tiles, th = (q % tiles) / p.TW, tw = q % p.TW;
    const uint oh0 = th * WM, ow0 = tw * WM;
    const uint ybase = (n * p.y_channels + p.y_channel0 + k) * OHW, rbase = (n * p.K + k) * OHW;
    [[unroll]] for (uint i = 0; i < WM; ++i)
      [[unroll]] for (uint e = 0; e < WM; ++e) {
        float s = b;
        [[unroll]] for (uint l = 0; l < WA; ++l)
          if (AT[e * WA + l] != 0.0) s += am[i * WA + l] * AT[e * WA + l];
        const uint oh = oh0 + i, ow = ow0 + e;
        if (oh < p.OH && ow < p.OW) {
          const uint o = oh * p.OW + ow;
          if ((p.flags & WINO_RESIDUAL) != 0u) s += res[rbase + o];
          if ((p.flags & WINO_RELU) != 0u) s = max(s, 0.0);
          y[ybase + o] = s;
        }
      }
  }
}
