#version 450
// Gradient of the mean softmax cross-entropy with respect to the logits:
//   dlogits_nk = g * (softmax(z_n)_k - q_nk) / N,  g = scale * (dloss[0] if XENT_DLOSS)
//                                                       * (StepParams' loss_scale if XENT_LOSS_SCALE),
//   q_nk = (1 - eps) [k == label_n] + eps / K   (label smoothing eps)
// A row with a label outside [0,K) gets a zero gradient (the forward reports it). XENT_ACCUMULATE:
// dlogits += instead of =. One invocation per row (N is at most a few hundred and a row is
// three sweeps of K).
// Specialization: 0 = local size x. Dispatch: ceil(N / local).
layout(local_size_x_id = 0) in;

layout(binding = 0) readonly buffer Logits_ { float logits[]; };  // (N,K)
layout(binding = 1) readonly buffer Labels_ { int labels[]; };    // (N), int32
layout(binding = 2) readonly buffer DLoss_ { float dloss[]; };    // (1), or a stand-in
layout(binding = 3) buffer DLogits_ { float dlogits[]; };         // (N,K)
layout(binding = 4) readonly buffer Step_ { uint st[]; };         // StepParams, or a stand-in
#include "softmax_xent_push.glsl"

void main() {
  const uint row = gl_GlobalInvocationID.x;
  if (row >= p.N) return;
  float g = p.scale / float(p.N);
  if ((p.flags & XENT_DLOSS) != 0u) g *= dloss[0];
  if ((p.flags & XENT_LOSS_SCALE) != 0u) g *= uintBitsToFloat(st[4]);
  const int label = labels[row];
  const bool valid = label >= 0 && uint(label) < p.K;
  float m, s;
  xent_row_stats(row, m, s);
  const float gs = g / s;
  const float g_uniform = g * p.smoothing / float(p.K), g_label = g * (1.0 - p.smoothing);
  const uint base = row * p.K;
  for (uint k = 0u; k < p.K; ++k) {
    float d = valid ? gs * exp(logits[base + k] - m) - g_uniform : 0.0;
    if (valid && k == uint(label)) d -= g_label;
    if ((p.flags & XENT_ACCUMULATE) != 0u) d += dlogits[base + k];
    dlogits[base + k] = d;
  }
}
