// Softmax cross-entropy loss over N samples of K classes, with top-1/top-5 metrics.
//   logits (N,K) fp32, labels (N) int32 (the TensorView's bytes are read as int32)
//   target q_n = (1 - eps) onehot(label_n) + eps / K   (label smoothing, Szegedy et al. 2016,
//     "Rethinking the Inception Architecture", sec. 7; eps = 0 is the plain one-hot loss)
//   loss = (1/N) sum_n sum_k -q_nk log softmax(logits_n)_k, computed stably (max subtracted)
//        = (1/N) sum_n [ lse_n - (1 - eps) z_n,label - (eps / K) sum_k z_nk ]
//   backward: dlogits = dloss * (softmax(logits) - q) / N
// This is torch.nn.CrossEntropyLoss(label_smoothing=eps) with reduction 'mean' and no weights.
//   sample n is top-k correct iff #{classes with a logit STRICTLY greater than the label's} < k
//     (so ties resolve in the label's favour).
// Invalid labels (outside [0, K)) are never used as an index. The forward counts them in
// `invalid` and writes a NaN loss; such samples count as neither top-1 nor top-5 correct and
// get a zero gradient in the backward. Callers detect bad labels by `invalid` > 0, or by
// isnan(loss) when they do not ask for `invalid`.
// The forward is one workgroup (N x K is at most ~128 x 1000 here); partial sums are added in
// a fixed order, so results are deterministic.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

struct SoftmaxXentParams {
  float label_smoothing = 0.0f;  // eps in [0, 1]
  // Backward, optional: a buffer laid out as vknn::StepParams; the gradient is multiplied by
  // its loss_scale (mixed-precision training scales the loss up so that small gradients
  // survive fp16; the optimizers divide it out). The graph's backward node always passes the
  // executor's, whose loss_scale is 1 unless set.
  BufferRef step_params;
};

struct SoftmaxXentOutputs {
  TensorView loss;     // (1): the mean loss (NaN if any label is invalid)
  TensorView top1;     // (1), optional: samples top-1 correct, as a float count
  TensorView top5;     // (1), optional: samples top-5 correct, as a float count
  TensorView invalid;  // (1), optional: samples whose label is outside [0, K), as a float count
};

Status record_softmax_xent_forward(CommandList& cl, const TensorView& logits, const TensorView& labels,
                                   const SoftmaxXentOutputs& out, const SoftmaxXentParams& p = {});

// dlogits (+)= dloss[0] * (softmax - q) / N. dloss (shape (1)) is optional: absent means 1
// (the loss is the graph's output). accumulate: += instead of =.
Status record_softmax_xent_backward(CommandList& cl, const TensorView& logits, const TensorView& labels,
                                    const TensorView& dloss, const TensorView& dlogits, bool accumulate = false,
                                    const SoftmaxXentParams& p = {});

// Graph builder: the mean softmax cross-entropy of logits (N,K) against int32 labels (N).
// Sets g.loss, g.top1, g.top5 and g.invalid_labels (persistent outputs) and returns g.loss.
// A label smoothing outside [0, 1] fails the graph.
TensorId softmax_cross_entropy(Graph& g, TensorId logits, TensorId labels, const std::string& name = "loss",
                               const SoftmaxXentParams& p = {});

}  // namespace vknn
