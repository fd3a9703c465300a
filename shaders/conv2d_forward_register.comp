#version 450
// conv2d forward, register-blocked implicit GEMM for CPU drivers (math in conv2d_push.glsl),
// with the epilogue y = act(sum + bias[k] + res), bias and res (a residual shortcut) optional.
// Per group g, Y[k, q] = sum_{(c,r,s)} W[k,(c,r,s)] * X^[(c,r,s), q] over pixels q, with X^
// gathered from x (zero in the padding), never materialized.
// A workgroup owns TK output channels; each invocation a segment of TP consecutive output
// pixels of one row (n, oh, ow0..ow0+TP-1), and a TK x TP block of sums in registers. On
// lavapipe every buffer load with a per-lane address is a slow per-lane loop, so loads are
// what to save:
//  - the TK weights of a step are the same for the whole workgroup: each subgroup loads
//    them once, spread over its lanes, and broadcasts them (a shuffle);
//  - the input row under the segment is loaded once per (c, r), (TP-1)*SW + S values, and
//    reused by all S taps (S and SW are specialization constants so that the window
//    indices are constants).
// Measured on lavapipe (2 cores, AVX-512 host): 16 channels x 8 pixels beat 8x8, 16x4,
// 8x16, 24x8, 32x4 and 16x16; much larger blocks fall off a cliff (the unrolled body no
// longer fits the register allocator). Each weight and input value feeds TK*S and TP*S sums.
// Specialization: 0 = LX (local size x, a multiple of SG), 1 = SG (the subgroup size),
// 2 = S (kernel width, = p.S), 3 = SW (stride along w, = p.stride_w), 4 = TK, 5 = TP.
// Dispatch: (ceil(N*OH*ceil(OW/TP) / LX), ceil(Kg / TK), groups).
// Variant conv2d_forward_register_f16 (VKNN_F16): x, w, bias, y and res are fp16 in memory
// (storage.glsl); the sums stay fp32.
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_control_flow_attributes : require
#include "storage.glsl"
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint SG = 8;
layout(constant_id = 2) const uint S = 3;
layout(constant_id = 3) const uint SW = 1;
layout(constant_id = 4) const uint TK = 16;  // output channels per workgroup
layout(constant_id = 5) const uint TP = 8;   // pixels per invocation
const uint NQ = (TK + SG - 1) / SG;  // weight loads per step and lane
const uint XW = (TP - 1) * SW + S;   // input columns under a segment

layout(binding = 0) readonly buffer X_ { STORE_T x[]; };       // (N,C,H,W)
layout(binding = 1) readonly buffer Wt_ { STORE_T w[]; };      // (K,Cg,R,S)
layout(binding = 2) readonly buffer Bias_ { STORE_T bias[]; }; // (K), read when CONV_BIAS
layout(binding = 3) writeonly buffer Y_ { STORE_T y[]; };      // (N,y_channels,OH,OW), channels y_channel0 + k
layout(binding = 4) readonly buffer Res_ { STORE_T res[]; };   // (N,K,OH,OW), read when CONV_RESIDUAL
#include "conv2d_push.glsl"

void main() {
  const uint g = gl_WorkGroupID.z;
  const uint k0 = gl_WorkGroupID.y * TK;
  const uint lane = gl_SubgroupInvocationID;
  const uint HW = p.H * p.W, OHW = p.OH * p.OW, CRS = p.Cg * p.R * S;
  const uint per_row = (p.OW + TP - 1) / TP, segments = p.N * p.OH * per_row;

  // This invocation's segment; past the end it gathers nothing (rows fail) and stores nothing.
  const uint seg = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  const bool live = seg < segments;
  const uint sc = min(seg, segments - 1);
  const uint n = sc / (p.OH * per_row), oh = (sc / per_row) % p.OH, ow0 = (sc % per_row) * TP;
  const int ih0 = live ? int(oh * p.stride_h) - int(p.pad_h) : -0x40000000;
  const int iw0 = int(ow0 * SW) - int(p.pad_w);
  bool colok[XW];
  [[unroll]] for (uint e = 0; e < XW; ++e) colok[e] = uint(iw0 + int(e)) < p.W;
  const int xbase = int(p.x_off + (n * p.C + g * p.Cg) * HW) + iw0;

  // The weight rows this lane loads for its subgroup (clamped past Kg; never stored).
  uint wrow[NQ];
  [[unroll]] for (uint t = 0; t < NQ; ++t) wrow[t] = (g * p.Kg + min(k0 + t * SG + lane, p.Kg - 1)) * CRS;

  float acc[TK][TP];
  [[unroll]] for (uint i = 0; i < TK; ++i)
    [[unroll]] for (uint j = 0; j < TP; ++j) acc[i][j] = 0.0;

  uint crs = 0;
  for (uint c = 0; c < p.Cg; ++c) {
    for (uint r = 0; r < p.R; ++r, crs += S) {
      const int ih = ih0 + int(r);
      const bool rowok = uint(ih) < p.H;
      const int roff = xbase + int(c * HW) + ih * int(p.W);
      float xr[XW];
      [[unroll]] for (uint e = 0; e < XW; ++e) {
        const bool ok = rowok && colok[e];
        const float v = float(x[ok ? uint(roff + int(e)) : 0u]);
        xr[e] = ok ? v : 0.0;
      }
      float wv[S][NQ];
      [[unroll]] for (uint s = 0; s < S; ++s)
        [[unroll]] for (uint t = 0; t < NQ; ++t) wv[s][t] = float(w[wrow[t] + crs + s]);
      // Each sum takes all S taps in a row, so it stays in a register meanwhile.
      [[unroll]] for (uint i = 0; i < TK; ++i) {
        float a[S];
        [[unroll]] for (uint s = 0; s < S; ++s) a[s] = subgroupBroadcast(wv[s][i / SG], i % SG);
        [[unroll]] for (uint j = 0; j < TP; ++j)
          [[unroll]] for (uint s = 0; s < S; ++s) acc[i][j] = fma(a[s], xr[j * SW + s], acc[i][j]);
      }
    }
  }

  if (!live) return;
  const uint rbase = n * p.K * OHW + oh * p.OW + ow0;                            // of (n, 0, oh, ow0) in the residual
  const uint ybase = (n * p.y_channels + p.y_channel0) * OHW + oh * p.OW + ow0;  // and in y
  const bool residual = (p.flags & CONV_RESIDUAL) != 0u;
  for (uint i = 0; i < TK; ++i) {
    const uint kg = k0 + i;
    if (kg >= p.Kg) break;
    const uint k = g * p.Kg + kg;
    const float b = (p.flags & CONV_BIAS) != 0u ? float(bias[k]) : 0.0;
    [[unroll]] for (uint j = 0; j < TP; ++j) {
      if (ow0 + j >= p.OW) break;
      float v = acc[i][j] + b;
      if (residual) v += float(res[p.r_off + rbase + k * OHW + j]);
      if ((p.flags & CONV_RELU) != 0u) v = max(v, 0.0);
      y[p.y_off + ybase + k * OHW + j] = TO_STORE(v);
    }
  }
}
