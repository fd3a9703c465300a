// CPU reference of folding inference batch normalization into a convolution (see
// graph/include/vknn/ops/batchnorm_fold.h), in double.
#pragma once

#include "fd.h"

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

}  // namespace vknn::ref
