#version 450
// conv2d backward data, register-blocked for CPU drivers (math in conv2d_push.glsl):
//   dx[n, g*Cg + c, ih, iw] = sum_{k<Kg, r, s} w[g*Kg + k, c, r, s] * dy[n, g*Kg + k, oh, ow]
// over the taps with ih + pad_h - r = oh*stride_h, iw + pad_w - s = ow*stride_w (0 <= oh < OH,
// 0 <= ow < OW). One dispatch handles one phase (see the push block): for its pixels the
// taps are r = phase_h + i*stride_h, s = phase_w + j*stride_w and oh = qh - i, ow = qw - j,
// an ordinary stride-1 gather from dy, so no tap is wasted on a stride that does not divide.
// Like conv2d_forward_register: a workgroup owns TC input channels (weights loaded once per
// subgroup, spread over its lanes, then broadcast); an invocation owns a segment of TP
// consecutive phase pixels of one dx row, and loads the dy row under it once per (k, i) for
// all SP taps j.
// Specialization: 0 = LX (local size x, a multiple of SG), 1 = SG (the subgroup size),
// 2 = SP (taps along w of this phase = max(p.taps_w, 1)), 3 = TC, 4 = TP.
// Dispatch: (ceil(N * pixel rows * ceil(pixel columns / TP) / LX), ceil(Cg / TC), groups).
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint SG = 8;
layout(constant_id = 2) const uint SP = 1;
layout(constant_id = 3) const uint TC = 16;
layout(constant_id = 4) const uint TP = 8;
const uint NQ = (TC + SG - 1) / SG;  // weight loads per tap and lane
const uint XW = TP + SP - 1;         // dy columns under a segment

layout(binding = 0) readonly buffer Dy_ { float dy[]; };  // (N,K,OH,OW)
layout(binding = 1) readonly buffer Wt_ { float w[]; };   // (K,Cg,R,S)
layout(binding = 2) buffer Dx_ { float dx[]; };           // (N,C,H,W); read when CONV_ACCUMULATE
#include "conv2d_push.glsl"

void main() {
  const uint g = gl_WorkGroupID.z;
  const uint c0 = gl_WorkGroupID.y * TC;
  const uint lane = gl_SubgroupInvocationID;
  const uint HW = p.H * p.W, OHW = p.OH * p.OW, RS = p.R * p.S, CRS = p.Cg * RS;
  // This phase's pixels: ih = ih_first + i*stride_h, i < rows; iw = iw_first + j*stride_w, j < cols.
  const uint ih_first = (p.phase_h + p.stride_h - p.pad_h % p.stride_h) % p.stride_h;
  const uint iw_first = (p.phase_w + p.stride_w - p.pad_w % p.stride_w) % p.stride_w;
  const uint rows = ih_first < p.H ? (p.H - ih_first + p.stride_h - 1) / p.stride_h : 0;
  const uint cols = iw_first < p.W ? (p.W - iw_first + p.stride_w - 1) / p.stride_w : 0;
  const uint per_row = (cols + TP - 1) / TP, segments = p.N * rows * per_row;

  const uint seg = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  const bool live = seg < segments;
  const uint sc = min(seg, max(segments, 1u) - 1);
  const uint n = sc / max(rows * per_row, 1u), i0 = (sc / max(per_row, 1u)) % max(rows, 1u);
  const uint j0 = (sc % max(per_row, 1u)) * TP;
  // dy row of tap i = 0 and the dy column under (pixel j0, tap SP-1), the window's start.
  const int qh = live ? int((ih_first + i0 * p.stride_h + p.pad_h - p.phase_h) / p.stride_h) : -0x40000000;
  const int qw0 = int((iw_first + p.pad_w - p.phase_w) / p.stride_w + j0) - int(SP - 1);
  bool colok[XW];
  [[unroll]] for (uint e = 0; e < XW; ++e) colok[e] = uint(qw0 + int(e)) < p.OW;
  const int dybase = int(p.y_off + (n * p.K + g * p.Kg) * OHW) + qw0;

  uint wrow[NQ];
  [[unroll]] for (uint t = 0; t < NQ; ++t)
    wrow[t] = g * p.Kg * CRS + min(c0 + t * SG + lane, p.Cg - 1) * RS + p.phase_h * p.S + p.phase_w;

  float acc[TC][TP];
  [[unroll]] for (uint ci = 0; ci < TC; ++ci)
    [[unroll]] for (uint j = 0; j < TP; ++j) acc[ci][j] = 0.0;

  for (uint k = 0; k < p.Kg; ++k) {
    for (uint i = 0; i < p.taps_h; ++i) {
      const int oh = qh - int(i);
      const bool rowok = uint(oh) < p.OH;
      const int roff = dybase + int(k * OHW) + oh * int(p.OW);
      float dr[XW];
      [[unroll]] for (uint e = 0; e < XW; ++e) {
        const bool ok = rowok && colok[e];
        const float v = dy[ok ? uint(roff + int(e)) : 0u];
        dr[e] = ok ? v : 0.0;
      }
      const uint wtap = k * CRS + i * p.stride_h * p.S;
      float wv[SP][NQ];
      [[unroll]] for (uint s = 0; s < SP; ++s)
        [[unroll]] for (uint t = 0; t < NQ; ++t) wv[s][t] = w[wrow[t] + wtap + s * p.stride_w];
      [[unroll]] for (uint ci = 0; ci < TC; ++ci) {
        float a[SP];
        [[unroll]] for (uint s = 0; s < SP; ++s) a[s] = subgroupBroadcast(wv[s][ci / SG], ci % SG);
        // Pixel j under tap s reads dy column qw0 + SP-1 + j - s.
        [[unroll]] for (uint j = 0; j < TP; ++j)
          [[unroll]] for (uint s = 0; s < SP; ++s) acc[ci][j] = fma(a[s], dr[SP - 1 + j - s], acc[ci][j]);
      }
    }
  }

  if (!live) return;
  const uint ih = ih_first + i0 * p.stride_h;
  const bool accumulate = (p.flags & CONV_ACCUMULATE) != 0u;
  for (uint ci = 0; ci < TC; ++ci) {
    const uint c = c0 + ci;
    if (c >= p.Cg) break;
    const uint base = p.x_off + (n * p.C + g * p.Cg + c) * HW + ih * p.W + iw_first;
    [[unroll]] for (uint j = 0; j < TP; ++j) {
      if (j0 + j >= cols) break;
      const uint o = base + (j0 + j) * p.stride_w;
      dx[o] = accumulate ? dx[o] + acc[ci][j] : acc[ci][j];
    }
  }
}
