#version 450
// Winograd's batched GEMM in the transformed domain (common/conv2d_winograd.glsl):
//   M[t, k, q] = sum_c U[t, c, k] * V[t, c, q]   for every t < WA*WA.
// Register-blocked for every device: each invocation keeps a TK x TP block of sums (TK
// output channels x TP tiles) in registers and, per input channel, loads TK/4 + TP/4 vec4s
// (U and V are laid out (t, c, k) and (t, c, q), so both blocks are contiguous), with no
// shared memory or barrier (on lavapipe each per-lane load is a scalar loop and barrier()
// a thread switch). The blocks of one t are numbered tile-block fastest, over the
// workgroup's lanes, so that a layer with few tiles (7x7 images) still fills every lane.
// Kp and Pp are multiples of TK and TP: no bounds checks.
// The same shader serves F(2,3) and F(4,3): the number of GEMMs, WA*WA, is the dispatch's z.
// Specialization: 0 = LX (local size x), 1 = TK, 2 = TP (multiples of 4).
// Dispatch: (ceil((Kp/TK) * (Pp/TP) / LX), 1, WA*WA).
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint TK = 8;
layout(constant_id = 2) const uint TP = 8;
#include "conv2d_winograd.glsl"

layout(binding = 0) readonly buffer U_ { vec4 u[]; };   // (WA*WA, C, Kp/4) vec4s
layout(binding = 1) readonly buffer V_ { vec4 v[]; };   // (WA*WA, C, Pp/4) vec4s
layout(binding = 2) writeonly buffer M_ { vec4 m[]; };  // (WA*WA, Kp, Pp/4) vec4s

void main() {
  const uint t = gl_WorkGroupID.z;
  const uint pblocks = p.Pp / TP, blocks = (p.Kp / TK) * pblocks;
  const uint b = gl_GlobalInvocationID.x;
  if (b >= blocks) return;
  const uint k0 = (b / pblocks) * TK, q0 = (b % pblocks) * TP;
  const uint ks = p.Kp / 4, qs = p.Pp / 4;

  vec4 acc[TK][TP / 4];
  [[unroll]] for (uint i = 0; i < TK; ++i)
    [[unroll]] for (uint j = 0; j < TP / 4; ++j) acc[i][j] = vec4(0.0);

  uint ui = t * p.C * ks + k0 / 4, vi = t * p.C * qs + q0 / 4;
  for (uint c = 0; c < p.C; ++c, ui += ks, vi += qs) {
    vec4 a[TK / 4];
    vec4 bv[TP / 4];
    [[unroll]] for (uint i = 0; i < TK / 4; ++i) a[i] = u[ui + i];
    [[unroll]] for (uint j = 0; j < TP / 4; ++j) bv[j] = v[vi + j];
    [[unroll]] for (uint i = 0; i < TK; ++i)
      [[unroll]] for (uint j = 0; j < TP / 4; ++j) acc[i][j] = fma(vec4(a[i / 4][i % 4]), bv[j], acc[i][j]);
  }
  [[unroll]] for (uint i = 0; i < TK; ++i)
    [[unroll]] for (uint j = 0; j < TP / 4; ++j) m[(t * p.Kp + k0 + i) * qs + q0 / 4 + j] = acc[i][j];
}
