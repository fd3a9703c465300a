#version 450
// conv2d backward weight for GPUs (math in conv2d_backward_weight_register.comp): per
// group g the GEMM dW[k, t] = sum_q dY[k, q] * X^[t, q], t = (c, r, s), q = (n, oh, ow), with
// a 64(k) x 64(t) tile per 256-invocation workgroup, q staged through shared memory 16 at
// a time, 4x4 per invocation. Split reductions as in the register variant: workgroup
// z = split * groups + g reduces the output rows [split * split_rows, (split+1) * split_rows)
// and writes partial sums to part[split] when p.splits > 1.
// Dispatch: (ceil(Cg*R*S / 64), ceil(Kg / 64), groups * splits).
layout(local_size_x = 16, local_size_y = 16) in;
#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4

layout(binding = 0) readonly buffer X_ { float x[]; };    // (N,C,H,W)
layout(binding = 1) readonly buffer Dy_ { float dy[]; };  // (N,K,OH,OW)
layout(binding = 2) buffer Dw_ { float dw[]; };           // (K,Cg,R,S), or (splits,K,Cg,R,S) partial sums
#include "conv2d_push.glsl"

shared float As[BK][BM + 1];
shared float Bs[BK][BN + 1];

void main() {
  const uint G = p.C / p.Cg;
  const uint g = gl_WorkGroupID.z % G, split = gl_WorkGroupID.z / G;
  const uint tile_k = gl_WorkGroupID.y * BM, tile_t = gl_WorkGroupID.x * BN;
  const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  const uint tid = ty * 16 + tx;
  const uint HW = p.H * p.W, OHW = p.OH * p.OW, RS = p.R * p.S, CRS = p.Cg * RS;
  const uint q_begin = split * p.split_rows * p.OW;
  const uint q_end = min((split + 1) * p.split_rows, p.N * p.OH) * p.OW;

  // The X^ row (c, r, s) this invocation gathers (the same t for all of its loads).
  const uint tn = tid % BN, t = tile_t + tn;
  const bool t_ok = t < CRS;
  const uint tc = min(t, CRS - 1);
  const uint xoff = (g * p.Cg + tc / RS) * HW;
  const int r = int((tc % RS) / p.S), s = int(tc % p.S);

  float acc[TM][TN];
  for (uint i = 0; i < TM; ++i)
    for (uint j = 0; j < TN; ++j) acc[i][j] = 0.0;

  for (uint q0 = q_begin; q0 < q_end; q0 += BK) {
    for (uint e = tid; e < BM * BK; e += 256) {
      const uint mm = e / BK, kk = e % BK;
      const uint k = tile_k + mm, q = q0 + kk;
      As[kk][mm] = (k < p.Kg && q < q_end) ? dy[p.y_off + (q / OHW * p.K + g * p.Kg + k) * OHW + q % OHW] : 0.0;
    }
    for (uint kk = tid / BN; kk < BK; kk += 256 / BN) {
      const uint q = q0 + kk;
      const uint n = q / OHW, oh = (q % OHW) / p.OW, ow = q % p.OW;
      const int ih = int(oh * p.stride_h) - int(p.pad_h) + r, iw = int(ow * p.stride_w) - int(p.pad_w) + s;
      const bool ok = t_ok && q < q_end && uint(ih) < p.H && uint(iw) < p.W;
      Bs[kk][tn] = ok ? x[p.x_off + n * p.C * HW + xoff + uint(ih) * p.W + uint(iw)] : 0.0;
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

  const bool partial = p.splits > 1u;
  const bool accumulate = !partial && (p.flags & CONV_ACCUMULATE) != 0u;
  const uint base = partial ? split * p.K * CRS : 0u;
  for (uint i = 0; i < TM; ++i) {
    const uint k = tile_k + ty * TM + i;
    if (k >= p.Kg) break;
    for (uint j = 0; j < TN; ++j) {
      const uint tt = tile_t + tx * TN + j;
      if (tt >= CRS) break;
      const uint o = base + (g * p.Kg + k) * CRS + tt;
      dw[o] = accumulate ? dw[o] + acc[i][j] : acc[i][j];
    }
  }
}
