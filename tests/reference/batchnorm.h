// CPU reference of batch normalization with the optional fused ReLU (see
// graph/include/vknn/ops/batchnorm.h and docs/ops.md).
#pragma once

#include "fd.h"

namespace vknn::ref {

struct BatchNormParams {
  double eps = 1e-5, momentum = 0.1;
  bool training = true;
  bool relu = false;
};

struct BatchNormForward {
  Vec y;                          // (N,C,H,W)
  Vec save_mean, save_invstd;     // (C): batch statistics (training) or the running ones (inference)
  Vec running_mean, running_var;  // (C): updated when training, copied otherwise
};

// x: (N,C,H,W); gamma, beta, running_mean, running_var: (C).
BatchNormForward batchnorm_forward(const BatchNormParams& p, int n, int c, int h, int w, const Vec& x,
                                   const Vec& gamma, const Vec& beta, const Vec& running_mean,
                                   const Vec& running_var);

struct BatchNormBackward {
  Vec dx, dgamma, dbeta;  // overwritten, not accumulated
};

// With the forward's saved statistics; y (the forward output) is read only when p.relu.
BatchNormBackward batchnorm_backward(const BatchNormParams& p, int n, int c, int h, int w, const Vec& x,
                                     const Vec& gamma, const Vec& save_mean, const Vec& save_invstd, const Vec& y,
                                     const Vec& dy);

}  // namespace vknn::ref
