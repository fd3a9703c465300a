// Push block of the softmax cross-entropy shaders; mirrored by SoftmaxXentPush in
// graph/src/ops/softmax_xent.cpp.
#define XENT_TOP1 1u        // forward: write the top-1 count (binding 3)
#define XENT_TOP5 2u        // forward: write the top-5 count (binding 4)
#define XENT_INVALID 4u     // forward: write the invalid-label count (binding 5)
#define XENT_DLOSS 8u       // backward: multiply by dloss[0] (binding 2)
#define XENT_ACCUMULATE 16u // backward: dlogits += instead of =
#define XENT_LOSS_SCALE 32u // backward: multiply by the loss scale, word 4 of StepParams (binding 4)
layout(push_constant) uniform Push {
  uint N;      // samples (rows)
  uint K;      // classes (columns)
  uint flags;
  float scale; // backward: a constant factor on top of dloss (1 normally)
  float smoothing; // label smoothing eps: the target is (1 - eps) onehot + eps / K
} p;

// Per row: the max logit m and s = sum_k exp(z_k - m), so log softmax_k = z_k - m - log(s).
void xent_row_stats(uint row, out float m, out float s) {
  const uint base = row * p.K;
  m = logits[base];
  for (uint k = 1u; k < p.K; ++k) m = max(m, logits[base + k]);
  s = 0.0;
  for (uint k = 0u; k < p.K; ++k) s += exp(logits[base + k] - m);
}

// Per row: the mean logit, which the smoothed target's uniform part weighs.
float xent_row_mean(uint row) {
  const uint base = row * p.K;
  float sum = 0.0;
  for (uint k = 0u; k < p.K; ++k) sum += logits[base + k];
  return sum / float(p.K);
}
