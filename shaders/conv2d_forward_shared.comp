#version 450
// conv2d forward for GPUs (math in conv2d_push.glsl): the implicit GEMM per group g
//   Y[k, q] = sum_{t = (c,r,s)} W[k, t] * X^[t, q],  q = (n, oh, ow),
// with a 64(k) x 64(q) tile of Y per 256-invocation workgroup, t staged through shared
// memory 16 at a time (X^ gathered from x on the fly, zero in the padding), each
// invocation holding a 4x4 block in registers. Epilogue: y = act(sum + bias[k] + res), bias
// and res (a residual shortcut) optional.
// Dispatch: (ceil(N*OH*OW / 64), ceil(Kg / 64), groups).
layout(local_size_x = 16, local_size_y = 16) in;
#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4

layout(binding = 0) readonly buffer X_ { float x[]; };       // (N,C,H,W)
layout(binding = 1) readonly buffer Wt_ { float w[]; };      // (K,Cg,R,S)
layout(binding = 2) readonly buffer Bias_ { float bias[]; }; // (K), read when CONV_BIAS
layout(binding = 3) writeonly buffer Y_ { float y[]; };      // (N,y_channels,OH,OW), channels y_channel0 + k
layout(binding = 4) readonly buffer Res_ { float res[]; };   // (N,K,OH,OW), read when CONV_RESIDUAL
#include "conv2d_push.glsl"

shared float As[BK][BM + 1];
shared float Bs[BK][BN + 1];

void main() {
  const uint g = gl_WorkGroupID.z;
  const uint tile_k = gl_WorkGroupID.y * BM, tile_q = gl_WorkGroupID.x * BN;
  const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  const uint tid = ty * 16 + tx;
  const uint HW = p.H * p.W, OHW = p.OH * p.OW, RS = p.R * p.S, CRS = p.Cg * RS;
  const uint Q = p.N * OHW;

  // The X^ column this invocation gathers (the same q for all of its loads).
  const uint qn = tid % BN, q = tile_q + qn;
  const uint qc = min(q, Q - 1);
  const int ih0 = q < Q ? int((qc % OHW) / p.OW * p.stride_h) - int(p.pad_h) : -0x40000000;
  const int iw0 = int(qc % p.OW * p.stride_w) - int(p.pad_w);
  const uint xbase = p.x_off + (qc / OHW * p.C + g * p.Cg) * HW;

  float acc[TM][TN];
  for (uint i = 0; i < TM; ++i)
    for (uint j = 0; j < TN; ++j) acc[i][j] = 0.0;

  for (uint t0 = 0; t0 < CRS; t0 += BK) {
    for (uint e = tid; e < BM * BK; e += 256) {
      const uint mm = e / BK, kk = e % BK;
      const uint k = tile_k + mm, t = t0 + kk;
      As[kk][mm] = (k < p.Kg && t < CRS) ? w[(g * p.Kg + k) * CRS + t] : 0.0;
    }
    for (uint kk = tid / BN; kk < BK; kk += 256 / BN) {
      const uint t = t0 + kk;
      const uint c = t / RS, r = (t % RS) / p.S, s = t % p.S;
      const int ih = ih0 + int(r), iw = iw0 + int(s);
      const bool ok = t < CRS && uint(ih) < p.H && uint(iw) < p.W;
      Bs[kk][qn] = ok ? x[xbase + c * HW + uint(ih) * p.W + uint(iw)] : 0.0;
    }
    barrier();
    for (uint kk = 0; kk < BK; ++kk) {
      float av[TM], bv[TN];
      for (uint i = 0; i < TM; ++i) av[i] = As[kk][ty * TM + i];
      for (uint j = 0; j < TN; ++j) bv[j] = Bs[kk][tx * TN + j];
      for (uint i = 0; i < TM; ++i)
        for (uint j = 0; j < TN; ++j) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
    }
    barrier();
  }

  for (uint i = 0; i < TM; ++i) {
    const uint kg = tile_k + ty * TM + i;
    if (kg >= p.Kg) break;
    const uint k = g * p.Kg + kg;
    const float b = (p.flags & CONV_BIAS) != 0u ? bias[k] : 0.0;
    for (uint j = 0; j < TN; ++j) {
      const uint qq = tile_q + tx * TN + j;
      if (qq >= Q) break;
      const uint n = qq / OHW, pix = qq % OHW;  // (n, oh, ow) of the output
      float v = acc[i][j] + b;
      if ((p.flags & CONV_RESIDUAL) != 0u) v += res[p.r_off + (n * p.K + k) * OHW + pix];
      if ((p.flags & CONV_RELU) != 0u) v = max(v, 0.0);
      y[p.y_off + (n * p.y_channels + p.y_channel0 + k) * OHW + pix] = v;
    }
  }
}
