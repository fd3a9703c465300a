// CPU reference of the two SGD rules (see graph/include/vknn/ops/sgd.h); updates w and v in place.
#pragma once

#include "case_reference.h"

namespace vknn::ref {

struct SgdParams {
  double lr = 0.01, momentum = 0.9, weight_decay = 5e-4;
};

// Krizhevsky et al. 2012: v <- mu v - lambda eps w - eps g; w <- w + v.
void sgd_paper_step(const SgdParams& p, Vec& w, const Vec& g, Vec& v);
// torch.optim.SGD: g' = g + lambda w; v <- mu v + g'; w <- w - eps v.
void sgd_pytorch_step(const SgdParams& p, Vec& w, const Vec& g, Vec& v);

// The cases of graph/cases/ops/sgd.cpp: w, v after the three steps.
Tensors sgd_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
