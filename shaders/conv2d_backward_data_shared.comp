#version 450
// conv2d backward data for GPUs (math in conv2d_backward_data_register.comp): per group g
// and phase (a, b) = (z / groups) as (a = phase / stride_w, b = phase % stride_w), the GEMM
//   DX[c, q] = sum_{t = (k, i, j)} W[k, c, a + i*stride_h, b + j*stride_w] * dy[n, k, qh - i, qw - j]
// over the phase's pixels q = (n, ih, iw), (ih + pad_h) % stride_h == a and likewise for iw,
// with qh = (ih + pad_h - a) / stride_h. A 64(c) x 64(q) tile per 256-invocation workgroup,
// t staged through shared memory 16 at a time, 4x4 per invocation.
// Dispatch: (ceil(N * ceil(H/stride_h) * ceil(W/stride_w) / 64), ceil(Cg / 64), groups * stride_h * stride_w).
layout(local_size_x = 16, local_size_y = 16) in;
#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4

layout(binding = 0) readonly buffer Dy_ { float dy[]; };  // (N,K,OH,OW)
layout(binding = 1) readonly buffer Wt_ { float w[]; };   // (K,Cg,R,S)
layout(binding = 2) buffer Dx_ { float dx[]; };           // (N,C,H,W); read when CONV_ACCUMULATE
#include "conv2d_push.glsl"

shared float As[BK][BM + 1];
shared float Bs[BK][BN + 1];

void main() {
  const uint G = p.C / p.Cg;
  const uint g = gl_WorkGroupID.z % G, phase = gl_WorkGroupID.z / G;
  const uint a = phase / p.stride_w, b = phase % p.stride_w;
  const uint tile_c = gl_WorkGroupID.y * BM, tile_q = gl_WorkGroupID.x * BN;
  const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  const uint tid = ty * 16 + tx;
  const uint HW = p.H * p.W, OHW = p.OH * p.OW, RS = p.R * p.S, CRS = p.Cg * RS;

  const uint ih_first = (a + p.stride_h - p.pad_h % p.stride_h) % p.stride_h;
  const uint iw_first = (b + p.stride_w - p.pad_w % p.stride_w) % p.stride_w;
  const uint rows = ih_first < p.H ? (p.H - ih_first + p.stride_h - 1) / p.stride_h : 0;
  const uint cols = iw_first < p.W ? (p.W - iw_first + p.stride_w - 1) / p.stride_w : 0;
  const uint Q = p.N * rows * cols;
  if (tile_q >= Q) return;  // the whole workgroup: this phase has fewer pixels
  const uint taps_h = a < p.R ? (p.R - a + p.stride_h - 1) / p.stride_h : 0;
  const uint taps_w = b < p.S ? (p.S - b + p.stride_w - 1) / p.stride_w : 0;
  const uint T = p.Kg * taps_h * taps_w;

  // The dy column this invocation gathers (the same q for all of its loads).
  const uint qn = tid % BN, q = tile_q + qn;
  const uint qc = min(q, Q - 1);
  const uint n = qc / (rows * cols), qi = (qc / cols) % rows, qj = qc % cols;
  const int qh = q < Q ? int((ih_first + qi * p.stride_h + p.pad_h - a) / p.stride_h) : -0x40000000;
  const int qw = int((iw_first + qj * p.stride_w + p.pad_w - b) / p.stride_w);
  const uint dybase = p.y_off + (n * p.K + g * p.Kg) * OHW;

  float acc[TM][TN];
  for (uint i = 0; i < TM; ++i)
    for (uint j = 0; j < TN; ++j) acc[i][j] = 0.0;

  for (uint t0 = 0; t0 < T; t0 += BK) {
    for (uint e = tid; e < BM * BK; e += 256) {
      const uint mm = e / BK, kk = e % BK;
      const uint c = tile_c + mm, t = t0 + kk;
      float v = 0.0;
      if (c < p.Cg && t < T) {
        const uint k = t / (taps_h * taps_w), i = (t / taps_w) % taps_h, j = t % taps_w;
        v = w[(g * p.Kg + k) * CRS + c * RS + (a + i * p.stride_h) * p.S + b + j * p.stride_w];
      }
      As[kk][mm] = v;
    }
    for (uint kk = tid / BN; kk < BK; kk += 256 / BN) {
      const uint t = t0 + kk;
      float v = 0.0;
      if (t < T) {
        const uint k = t / (taps_h * taps_w), i = (t / taps_w) % taps_h, j = t % taps_w;
        const int oh = qh - int(i), ow = qw - int(j);
        if (uint(oh) < p.OH && uint(ow) < p.OW) v = dy[dybase + k * OHW + uint(oh) * p.OW + uint(ow)];
      }
      Bs[kk][qn] = v;
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

  const bool accumulate = (p.flags & CONV_ACCUMULATE) != 0u;
  for (uint i = 0; i < TM; ++i) {
    const uint c = tile_c + ty * TM + i;
    if (c >= p.Cg) break;
    for (uint j = 0; j < TN; ++j) {
      const uint qq = tile_q + tx * TN + j;
      if (qq >= Q) break;
      const uint nn = qq / (rows * cols), ih = ih_first + (qq / cols) % rows * p.stride_h;
      const uint iw = iw_first + qq % cols * p.stride_w;
      const uint o = p.x_off + (nn * p.C + g * p.Cg + c) * HW + ih * p.W + iw;
      dx[o] = accumulate ? dx[o] + acc[i][j] : acc[i][j];
    }
  }
}
