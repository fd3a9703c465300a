// CPU reference of batch normalization with the optional fused ReLU (see
// graph/include/vknn/ops/batchnorm.h and docs/ops.md).
#pragma once

#include "case_reference.h"
#include "fd.h"

namespace vknn::ref {

struct BatchNormParams {
  double eps = 1e-5, momentum = 0.1;
  bool training = true;
  bool relu = false;
  bool biased_running_var = false;  // ONNX's training form: the running variance takes var itself
};

struct BatchNormForward {
  Vec y;                          // (N,C,H,W)
  Vec save_mean, save_invstd;     // (C): batch statistics (training) or the running ones (inference)
  Vec running_mean, running_var;  // (C): updated when training, copied otherwise
};

// x: (N,C,H,W); gamma, beta, running_mean, running_var: (C). given (3,C), training only and
// optional (synchronized batch norm): the whole batch's mean, biased variance and unbiased
// variance, used instead of x's own.
BatchNormForward batchnorm_forward(const BatchNormParams& p, int n, int c, int h, int w, const Vec& x,
                                   const Vec& gamma, const Vec& beta, const Vec& running_mean,
                                   const Vec& running_var, const Vec& given = {});

struct BatchNormBackward {
  Vec dx, dgamma, dbeta;  // overwritten, not accumulated
};

// With the forward's saved statistics; y (the forward output) is read only when p.relu.
// given (2,C), training only and optional (synchronized batch norm): the whole batch's
// dbeta/M and dgamma/M, which dx uses instead of this call's (dgamma, dbeta stay this call's).
BatchNormBackward batchnorm_backward(const BatchNormParams& p, int n, int c, int h, int w, const Vec& x,
                                     const Vec& gamma, const Vec& save_mean, const Vec& save_invstd, const Vec& y,
                                     const Vec& dy, const Vec& given = {});

// (2,C): per channel the mean and the sum of squared deviations of x (N,C,H,W).
Vec batchnorm_moments(int n, int c, int h, int w, const Vec& x);

// The cases of graph/cases/ops/batchnorm.cpp: y, save_mean, save_invstd, running_mean,
// running_var, dx, dgamma, dbeta; with the tensor "given", the synchronized forward and
// backward and also moments and sums. With the fused ReLU the backward's mask is the
// device's y where the device test passes it (cases::device_output("y")), else its own.
Tensors batchnorm_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
