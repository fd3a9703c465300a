// Batch normalization over NCHW tensors: statistics per channel c over the M = N*H*W
// elements x[n,c,h,w], with an optional fused ReLU (ResNet's conv-BN-ReLU). See docs/ops.md.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

// How an inference forward without saved statistics runs (training, the backward and an
// inference forward that saves its statistics always use one workgroup per channel).
enum class BatchNormVariant {
  automatic,    // the profile's family for KernelClass::batchnorm: per_channel where register-blocked
                // kernels suit the device, elementwise elsewhere (VKNN_BATCHNORM=channel|elementwise)
  per_channel,  // one workgroup per channel, each invocation a register loop over its share
  elementwise,  // one invocation per element
};

struct BatchNormParams {
  float eps = 1e-5f;
  float momentum = 0.1f;  // running = (1 - momentum) * running + momentum * batch statistic
  bool training = true;   // batch statistics (and running-stat update) vs running statistics
  bool relu = false;      // fused ReLU: y = max(bn(x), 0); the backward masks dy by y > 0
  // Batch statistics over every process of a data-parallel job (set by
  // synchronize_batchnorm, which adds the node's fourth input: the whole batch's statistics).
  bool sync = false;
  // ONNX's training-mode node whose running statistics are outputs of the model: batch
  // statistics in every pass (the inference pass included, as ONNX defines the node), and the
  // running variance updated with the batch's biased variance, as ONNX's definition (PyTorch's
  // and vknn's default take the unbiased one). The importer sets both; see docs/ops.md.
  bool batch_statistics_always = false;
  bool biased_running_var = false;
  BatchNormVariant variant = BatchNormVariant::automatic;
};

// The inference-forward variant the record functions use (never automatic).
BatchNormVariant resolve_batchnorm_variant(const DeviceProfile& profile, BatchNormVariant requested);

// Training: mean = sum x / M, var = sum (x - mean)^2 / M (biased, two passes in fp32),
//   or, when `given` (3,C) is not empty (synchronized batch norm), mean = given[0], var =
//   given[1] and the running variance takes given[2] (the unbiased variance of the batch);
//   invstd = 1/sqrt(var + eps); save_mean = mean, save_invstd = invstd;
//   running_mean = (1-m)*running_mean + m*mean;
//   running_var = (1-m)*running_var + m*var*M/(M-1) (var itself when M == 1 or
//   p.biased_running_var).
// Inference: mean, invstd from running_mean, running_var (not updated); save_mean and
//   save_invstd are optional (pass empty views) and, when given, receive them, so that an
//   inference backward can follow.
// y = gamma * (x - mean) * invstd + beta, then max(y, 0) when p.relu.
// x, y: (N,C,H,W); gamma, beta, running_mean, running_var, save_mean, save_invstd: (C).
// fp16 storage (precision.h): x and y both fp16 or both fp32; the per-channel tensors are
// fp32, and so are the statistics' sums.
Status record_batchnorm_forward(CommandList& cl, const BatchNormParams& p, const TensorView& x,
                                const TensorView& gamma, const TensorView& beta, const TensorView& running_mean,
                                const TensorView& running_var, const TensorView& y, const TensorView& save_mean,
                                const TensorView& save_invstd, const TensorView& given = {});

// With the forward's save_mean, save_invstd and xhat = (x - mean) * invstd, g = dy (or
// dy masked by y > 0 when p.relu; y is the forward output, unused and may be empty otherwise;
// x and y, the saved forward tensors, both fp16 or both fp32, everything else fp32):
//   dbeta = sum g, dgamma = sum g * xhat                (per channel)
//   training:  dx = gamma * invstd / M * (M*g - dbeta - xhat * dgamma)
//              (with `given` (2,C), synchronized: dbeta/M = given[0], dgamma/M = given[1],
//              the whole batch's; dgamma and dbeta themselves stay this call's sums)
//   inference: dx = gamma * invstd * g
// accumulate_dx: dx += instead of dx =; accumulate_params: dgamma, dbeta += likewise.
// x, y, dy, dx: (N,C,H,W); gamma, save_mean, save_invstd, dgamma, dbeta: (C).
Status record_batchnorm_backward(CommandList& cl, const BatchNormParams& p, const TensorView& x,
                                 const TensorView& gamma, const TensorView& save_mean,
                                 const TensorView& save_invstd, const TensorView& y, const TensorView& dy,
                                 const TensorView& dx, const TensorView& dgamma, const TensorView& dbeta,
                                 bool accumulate_dx, bool accumulate_params, const TensorView& given = {});

// Synchronized batch norm, this process's share (the host combines the shares):
// moments (2,C) = (mean, sum (x - mean)^2) of x (N,C,H,W), two passes in fp32.
Status record_batchnorm_moments(CommandList& cl, const TensorView& x, const TensorView& moments);
// sums (2,C) = (sum g, sum g * xhat), g and xhat as in record_batchnorm_backward.
Status record_batchnorm_backward_reduce(CommandList& cl, const BatchNormParams& p, const TensorView& x,
                                        const TensorView& save_mean, const TensorView& save_invstd,
                                        const TensorView& y, const TensorView& dy, const TensorView& sums);

// Graph builder: y = batchnorm(x) with parameters <name>.weight (gamma, init 1) and
// <name>.bias (beta, init 0) and state <name>.running_mean / .running_var, as in
// torchvision's state_dict. The node runs in training mode in the training pass and with
// running statistics in the inference pass.
TensorId batchnorm(Graph& g, TensorId x, const std::string& name, const BatchNormParams& p = {});
// The same over tensors the caller made (an imported model names its own): gamma and beta
// (C) parameters, running_mean and running_var (C) state tensors that no other node writes.
TensorId batchnorm(Graph& g, TensorId x, TensorId gamma, TensorId beta, TensorId running_mean, TensorId running_var,
                   const std::string& name, const BatchNormParams& p = {});
// Data-parallel training with batch statistics over every process (PyTorch's
// SyncBatchNorm): before build_backward, each training batchnorm node gets a node that
// computes its share's moments and a host node (OpNode::host) that combines every
// process's through the executor's HostCollective; the backward likewise adds the processes'
// sums of g and g*xhat. Run by one process it computes what plain batch norm does. Returns
// how many nodes it synchronized.
Result<size_t> synchronize_batchnorm(Graph& g);
// The parameters of a forward batchnorm node (inputs x, gamma, beta; outputs y, save_mean,
// save_invstd, running_mean, running_var), or null for any other node.
const BatchNormParams* batchnorm_params(const Node& n);

}  // namespace vknn
