// CPU reference of folding inference batch normalization into a convolution (see
// graph/include/vknn/ops/batchnorm_fold.h), in double.
#pragma once

#include "case_reference.h"

namespace vknn::ref {

struct BatchNormFold {
  Vec w;  // (K, C/G, R, S)
  Vec b;  // (K)
};

// w (K, per_channel), b (K) or empty for a bias-free convolution; gamma, beta, running_mean,
// running_var (K). w' = w * scale[k], b' = beta + (b - running_mean) * scale[k],
// scale = gamma / sqrt(running_var + eps).
BatchNormFold batchnorm_fold(double eps, const Vec& w, const Vec& b, const Vec& gamma, const Vec& beta,
                             const Vec& running_mean, const Vec& running_var);

// The cases of graph/cases/ops/batchnorm_fold.cpp: w_out, b_out.
Tensors batchnorm_fold_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
