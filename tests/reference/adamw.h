// CPU reference of AdamW as torch.optim.AdamW computes it (see graph/include/vknn/ops/adamw.h);
// updates w, m and v in place, in double.
#pragma once

#include "case_reference.h"

namespace vknn::ref {

struct AdamWParams {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 1e-2;
};

// Step t (1-based): w *= 1 - lr*lambda; m = beta1 m + (1-beta1) g; v = beta2 v + (1-beta2) g^2;
// w -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
void adamw_step(const AdamWParams& p, int t, Vec& w, const Vec& g, Vec& m, Vec& v);

// The cases of graph/cases/ops/adamw.cpp: w, m, v after the steps.
Tensors adamw_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
