#version 450
// conv2d backward weight, register-blocked for CPU drivers (math in conv2d_push.glsl):
//   dw[g*Kg + k, c, r, s] = sum_{n, oh, ow} dy[n, g*Kg + k, oh, ow] * x[n, g*Cg + c, oh*stride_h - pad_h + r,
//                                                                     ow*stride_w - pad_w + s]
// A workgroup owns TK output channels, an invocation RB consecutive filter rows (c, r) with
// all S taps: a TK x RB x S block of sums in registers. The reduction walks output rows
// (n, oh) in chunks of TO columns: the TK x TO dy values of a chunk are the same for the
// whole workgroup (loaded once per subgroup, spread over its lanes, then broadcast), and the
// x row under a chunk, (TO-1)*SW + S values per filter row, serves all S taps.
// Split reductions: workgroup z = split * groups + g reduces output rows
// [split * split_rows, (split+1) * split_rows) and, when p.splits > 1, writes its partial
// sums to part[split] (conv2d_split_reduce.comp adds them up) instead of dw.
// Specialization: 0 = LX (local size x, a multiple of SG), 1 = SG (the subgroup size),
// 2 = S (= p.S), 3 = SW (= p.stride_w), 4 = TK, 5 = RB, 6 = TO.
// Dispatch: (ceil(Cg*R / (LX*RB)), ceil(Kg / TK), groups * splits).
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint SG = 8;
layout(constant_id = 2) const uint S = 3;
layout(constant_id = 3) const uint SW = 1;
layout(constant_id = 4) const uint TK = 16;
layout(constant_id = 5) const uint RB = 1;
layout(constant_id = 6) const uint TO = 8;
const uint NQ = (TK * TO + SG - 1) / SG;  // dy loads per chunk and lane
const uint XW = (TO - 1) * SW + S;        // x columns under a chunk

layout(binding = 0) readonly buffer X_ { float x[]; };    // (N,C,H,W)
layout(binding = 1) readonly buffer Dy_ { float dy[]; };  // (N,K,OH,OW)
layout(binding = 2) buffer Dw_ { float dw[]; };           // (K,Cg,R,S), or (splits,K,Cg,R,S) partial sums
#include "conv2d_push.glsl"

void main() {
  const uint G = p.C / p.Cg;
  const uint g = gl_WorkGroupID.z % G, split = gl_WorkGroupID.z / G;
  const uint k0 = gl_WorkGroupID.y * TK;
  const uint lane = gl_SubgroupInvocationID;
  const uint HW = p.H * p.W, OHW = p.OH * p.OW, CR = p.Cg * p.R;
  const uint cr0 = (gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x) * RB;

  // This invocation's filter rows; past Cg*R they read row 0 of the group and store nothing.
  int xoff[RB], rr[RB];
  [[unroll]] for (uint j = 0; j < RB; ++j) {
    const uint cr = cr0 + j < CR ? cr0 + j : 0u;
    xoff[j] = int((g * p.Cg + cr / p.R) * HW);
    rr[j] = int(cr % p.R);
  }
  // The dy elements this lane loads for its subgroup: element e = t*SG + lane of the
  // TK x TO chunk is (channel e / TO, column e % TO); channels clamped past Kg.
  uint dyk[NQ], dyo[NQ];
  [[unroll]] for (uint t = 0; t < NQ; ++t) {
    const uint e = min(t * SG + lane, TK * TO - 1);
    dyk[t] = (g * p.Kg + min(k0 + e / TO, p.Kg - 1)) * OHW;
    dyo[t] = e % TO;
  }

  float acc[TK][RB][S];
  [[unroll]] for (uint i = 0; i < TK; ++i)
    [[unroll]] for (uint j = 0; j < RB; ++j)
      [[unroll]] for (uint s = 0; s < S; ++s) acc[i][j][s] = 0.0;

  const uint row_end = min((split + 1) * p.split_rows, p.N * p.OH);
  for (uint row = split * p.split_rows; row < row_end; ++row) {
    const uint n = row / p.OH, oh = row % p.OH;
    const int ih0 = int(oh * p.stride_h) - int(p.pad_h);
    const uint dyrow = p.y_off + n * p.K * OHW + oh * p.OW;
    const int xrow = int(p.x_off + n * p.C * HW);
    for (uint ow0 = 0; ow0 < p.OW; ow0 += TO) {
      float dv[NQ];
      [[unroll]] for (uint t = 0; t < NQ; ++t) {
        const bool ok = ow0 + dyo[t] < p.OW;  // columns past OW count as zero
        const float v = dy[ok ? dyrow + dyk[t] + ow0 + dyo[t] : 0u];
        dv[t] = ok ? v : 0.0;
      }
      const int iw0 = int(ow0 * SW) - int(p.pad_w);
      float xr[RB][XW];
      [[unroll]] for (uint j = 0; j < RB; ++j) {
        const int ih = ih0 + rr[j];
        const bool rowok = uint(ih) < p.H;
        const int roff = xrow + xoff[j] + ih * int(p.W) + iw0;
        [[unroll]] for (uint e = 0; e < XW; ++e) {
          const bool ok = rowok && uint(iw0 + int(e)) < p.W;
          const float v = x[ok ? uint(roff + int(e)) : 0u];
          xr[j][e] = ok ? v : 0.0;
        }
      }
      [[unroll]] for (uint i = 0; i < TK; ++i) {
        float d[TO];
        [[unroll]] for (uint o = 0; o < TO; ++o) d[o] = subgroupBroadcast(dv[(i * TO + o) / SG], (i * TO + o) % SG);
        [[unroll]] for (uint j = 0; j < RB; ++j)
          [[unroll]] for (uint s = 0; s < S; ++s)
            [[unroll]] for (uint o = 0; o < TO; ++o) acc[i][j][s] = fma(d[o], xr[j][o * SW + s], acc[i][j][s]);
      }
    }
  }

  const uint CRS = CR * S;
  const bool partial = p.splits > 1u;
  const bool accumulate = !partial && (p.flags & CONV_ACCUMULATE) != 0u;
  const uint base = partial ? split * p.K * CRS : 0u;
  for (uint i = 0; i < TK; ++i) {
    if (k0 + i >= p.Kg) break;
    [[unroll]] for (uint j = 0; j < RB; ++j) {
      if (cr0 + j >= CR) break;
      [[unroll]] for (uint s = 0; s < S; ++s) {
        const uint o = base + (g * p.Kg + k0 + i) * CRS + (cr0 + j) * S + s;
        dw[o] = accumulate ? dw[o] + acc[i][j][s] : acc[i][j][s];
      }
    }
  }
}
