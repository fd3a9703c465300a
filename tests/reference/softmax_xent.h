// CPU reference of softmax cross-entropy with top-k metrics (see
// graph/include/vknn/ops/softmax_xent.h). logits (N,K), labels (N).
#pragma once

#include "case_reference.h"

#include <cstdint>
#include <vector>

namespace vknn::ref {

struct SoftmaxXentForward {
  double loss = 0;      // mean over N; NaN if any label is invalid
  int top1 = 0, top5 = 0;
  int invalid = 0;      // labels outside [0, K)
};

// `smoothing` (eps): the target is (1 - eps) onehot + eps / K, the loss -sum_k q_k log p_k.
SoftmaxXentForward softmax_xent_forward(int n, int k, const Vec& logits, const std::vector<int32_t>& labels,
                                        double smoothing = 0.0);
// dlogits = dloss * (softmax - q) / N; rows with an invalid label are zero.
Vec softmax_xent_backward(int n, int k, const Vec& logits, const std::vector<int32_t>& labels, double dloss = 1.0,
                          double smoothing = 0.0);
// Whether sample `row` is top-`topk` correct: #{classes with a logit > the label's} < topk.
bool top_k_correct(int k, const Vec& logits, int row, int32_t label, int topk);

// The cases of graph/cases/ops/softmax_xent.cpp: loss, top1, top5, invalid, dz (dloss 1), dz_dloss (the dloss tensor's).
Tensors softmax_xent_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
