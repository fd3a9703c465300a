#version 450
// Softmax cross-entropy loss and top-k metrics over (N,K) logits and int32 labels, against
// the target (1 - eps) onehot + eps / K (label smoothing eps):
//   loss = (1/N) sum_n [ lse_n - (1 - eps) z_n,label - eps mean_k z_nk ],
//   lse_n = log sum_k exp(z_nk - m_n) + m_n   (m_n = max_k z_nk)
//   sample n is top-k correct iff #{k : z_nk > z_n,label} < k  (ties count in its favour)
// A label outside [0,K) is never used as an index: the sample is counted as invalid,
// counts as neither top-1 nor top-5 correct, and makes the loss NaN.
// One workgroup of 64 invocations: invocation t takes rows t, t+64, ...; the partial sums
// are then added in a fixed order, so the result is deterministic.
// Dispatch: (1, 1, 1).
layout(local_size_x = 64) in;

layout(binding = 0) readonly buffer Logits_ { float logits[]; };  // (N,K)
layout(binding = 1) readonly buffer Labels_ { int labels[]; };    // (N), int32
layout(binding = 2) writeonly buffer Loss_ { float loss[]; };     // (1)
layout(binding = 3) writeonly buffer Top1_ { float top1[]; };     // (1) count, or a stand-in
layout(binding = 4) writeonly buffer Top5_ { float top5[]; };     // (1) count, or a stand-in
layout(binding = 5) writeonly buffer Invalid_ { float invalid[]; }; // (1) count, or a stand-in
#include "softmax_xent_push.glsl"

shared float s_loss[64];
shared uint s_top1[64], s_top5[64], s_bad[64];

void main() {
  const uint t = gl_LocalInvocationID.x;
  float sum = 0.0;
  uint c1 = 0u, c5 = 0u, bad = 0u;
  for (uint row = t; row < p.N; row += 64u) {
    const int label = labels[row];
    if (label < 0 || uint(label) >= p.K) {
      ++bad;
      continue;
    }
    const uint base = row * p.K;
    const float zl = logits[base + uint(label)];
    uint greater = 0u;
    for (uint k = 0u; k < p.K; ++k) greater += logits[base + k] > zl ? 1u : 0u;
    float m, s;
    xent_row_stats(row, m, s);
    // lse - z as log(s) + (m - z): m - z is exact where m and z are close, lse itself is not.
    const float nll = log(s) + (m - zl);
    sum += p.smoothing == 0.0 ? nll : (1.0 - p.smoothing) * nll + p.smoothing * (log(s) + (m - xent_row_mean(row)));
    c1 += greater < 1u ? 1u : 0u;
    c5 += greater < 5u ? 1u : 0u;
  }
  s_loss[t] = sum;
  s_top1[t] = c1;
  s_top5[t] = c5;
  s_bad[t] = bad;
  barrier();
  if (t != 0u) return;
  float total = 0.0;
  uint n1 = 0u, n5 = 0u, nbad = 0u;
  for (uint i = 0u; i < 64u; ++i) {
    total += s_loss[i];
    n1 += s_top1[i];
    n5 += s_top5[i];
    nbad += s_bad[i];
  }
  loss[0] = nbad == 0u ? total / float(p.N) : uintBitsToFloat(0x7fc00000u);  // quiet NaN
  if ((p.flags & XENT_TOP1) != 0u) top1[0] = float(n1);
  if ((p.flags & XENT_TOP5) != 0u) top5[0] = float(n5);
  if ((p.flags & XENT_INVALID) != 0u) invalid[0] = float(nbad);
}
