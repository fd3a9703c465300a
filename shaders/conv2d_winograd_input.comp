#version 450
// Winograd input transform: V[t, c, q] = (BT d B)[t] for the input tile d (WA x WA, zero
// outside the image) of tile q, t < WA*WA (common/conv2d_winograd.glsl). Tile q = (n, th, tw)
// reads x[n, c, th*WM - pad_h + i, tw*WM - pad_w + j]. Each invocation transforms 4
// consecutive tiles of one channel and stores each t as one vec4 (on lavapipe a store or load
// per lane is a scalar loop, so a vec4 moves four values for the price of one); tiles
// q >= P (the padding up to Pp) are zeros.
// Defines: WINO_M = 2 | 4 (conv2d_winograd_input_f2 / _f4).
// Specialization: 0 = local size x. Dispatch: ceil(C * Pp/4 / LX), invocations numbered (c, q4)
// (flat, so that a layer with few tiles still fills the workgroups).
layout(local_size_x_id = 0) in;
#include "conv2d_winograd.glsl"

layout(binding = 0) readonly buffer X_ { float x[]; };  // (N,C,H,W)
layout(binding = 1) writeonly buffer V_ { vec4 v[]; };  // (WA*WA, C, Pp/4) vec4s

void main() {
  const uint qs = p.Pp / 4;
  if (gl_GlobalInvocationID.x >= p.C * qs) return;
  const uint c = gl_GlobalInvocationID.x / qs, q4 = gl_GlobalInvocationID.x % qs;
  const uint tiles = p.TH * p.TW;
  float vt[4][WT];
  [[unroll]] for (uint j = 0; j < 4; ++j) {
    const uint q = q4 * 4 + j;
    const bool live = q < p.P;
    const uint qc = min(q, p.P - 1);
    const uint n = qc / tiles, th = (qc % tiles) / p.TW, tw = qc % p.TW;
    const int ih0 = live ? int(th * WM) - int(p.pad_h) : -0x40000000;  // a dead tile reads nothing
    const int iw0 = int(tw * WM) - int(p.pad_w);
    const int base = int((n * p.C + c) * p.H * p.W);
    float d[WT];
    [[unroll]] for (uint i = 0; i < WA; ++i) {
      const int ih = ih0 + int(i);
      [[unroll]] for (uint e = 0; e < WA; ++e) {
        const int iw = iw0 + int(e);
        const bool ok = uint(ih) < p.H && uint(iw) < p.W;
        const float val = x[ok ? uint(base + ih * int(p.W) + iw) : 0u];
        d[i * WA + e] = ok ? val : 0.0;
      }
    }
    float bd[WT];  // BT d
    [[unroll]] for (uint i = 0; i < WA; ++i)
      [[unroll]] for (uint e = 0; e < WA; ++e) {
        float s = 0.0;
        [[unroll]] for (uint l = 0; l < WA; ++l)
          if (BT[i * WA + l] != 0.0) s += BT[i * WA + l] * d[l * WA + e];
        bd[i * WA + e] = s;
      }
    [[unroll]] for (uint i = 0; i < WA; ++i)  // (BT d) B
      [[unroll]] for (uint e = 0; e < WA; ++e) {
        float s = 0.0;
        [[unroll]] for (uint l = 0; l < WA; ++l)
          if (BT[e * WA + l] != 0.0) s += bd[i * WA + l] * BT[e * WA + l];
        vt[j][i * WA + e] = s;
      }
  }
  [[unroll]] for (uint t = 0; t < WT; ++t) v[(t * p.C + c) * qs + q4] = vec4(vt[0][t], vt[1][t], vt[2][t], vt[3][t]);
}
