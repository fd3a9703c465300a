// vknn embedding API, C++: defining a network in code. A Network records layers with the same
// op builders vknn's built-in and imported models use (convolution, batch norm, ReLU and the
// other activations, pools, linear, residual add, squeeze-excitation mul, channel concat,
// dropout, softmax and log-softmax, matmul); Session::create(ctx, network, weights, batch) builds
// it at the session's batch and runs it like any other model, and Trainer::create(ctx,
// network, spec) trains it like any other model (vknn.hpp): softmax cross-entropy on the
// output, the same optimizers, schedules, checkpoints and exact resume.
//
// Batch norm and dropout behave as in PyTorch: in training steps, batch norm normalizes by
// the batch's statistics and updates its running ones (momentum 0.1, the unbiased batch
// variance), and dropout zeroes at its rate and scales the rest by 1 / (1 - rate); in a
// session and in validation, batch norm uses its running statistics and dropout is the
// identity.
//
// Only this small facade is exported from libvknn. The graph library behind it (tensors, op
// builders, autodiff, executor) stays inside the library and hidden: its C++ interface has no
// stable ABI, so it is not installed.
//
// Parameters are named as PyTorch names them, "<layer>.weight" and "<layer>.bias" (batch norm:
// also "<layer>.running_mean" and "<layer>.running_var"), so a safetensors file of a PyTorch
// module with the same layer names loads into it. Without a weights file, they start as
// PyTorch's defaults do (uniform in +-1/sqrt(fan_in); batch norm weight 1, bias 0, running
// mean 0, variance 1), drawn from the session's seed.
//
// Layer calls only record; the shapes are checked when a session builds the network, and a
// layer that does not fit (wrong channels, a kernel larger than its input, a duplicate name)
// is then VKNN_ERROR_INVALID_ARGUMENT naming the layer and the shapes. A Value from another
// network, or no output(), is refused at once (VKNN_ERROR_INVALID_ARGUMENT).
#pragma once

#include "vknn/vknn.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vknn::api {

class VKNN_API Network {
 public:
  // A value of the network: its input or a layer's output.
  struct Value {
    int32_t index = -1;
    const void* owner = nullptr;  // the network it belongs to
  };
  struct Conv {
    int64_t out_channels = 1;
    int kernel = 3, stride = 1, pad = 0;
    int groups = 1;  // divides the input and output channels (depthwise: groups = channels)
    bool bias = true;
  };
  struct Pool {
    int kernel = 2, stride = 2, pad = 0;  // zeros on every side, pad < kernel
  };
  // y = alpha * op(a) · op(b) (+ beta * c), op(t) = t or its transpose over the last two dims.
  struct Matmul {
    bool trans_a = false, trans_b = false;
    float alpha = 1.0f;
    float beta = 1.0f;  // the scale of c, where there is one
  };

  // One input, (N, channels, height, width) fp32; N is the batch of the session.
  Network(int64_t channels, int64_t height, int64_t width);
  Value input() const;

  Value conv2d(Value x, const std::string& name, const Conv& c);
  Value batchnorm(Value x, const std::string& name);  // eps 1e-5, momentum 0.1
  Value relu(Value x);
  // Element-wise activations as PyTorch's nn modules (docs/ops.md has the exact math and the
  // derivative at each kink). alpha, slope and bounds must be finite (clip's bounds may be
  // infinite; lo <= hi), else VKNN_ERROR_INVALID_ARGUMENT at once.
  Value sigmoid(Value x);
  Value tanh(Value x);
  Value silu(Value x);                                // x * sigmoid(x)
  Value hardswish(Value x);                           // x * clamp(x + 3, 0, 6) / 6
  Value hardsigmoid(Value x);                         // clamp(x / 6 + 1 / 2, 0, 1)
  Value leaky_relu(Value x, float slope = 0.01f);     // x > 0 ? x : slope * x
  Value clip(Value x, float lo, float hi);            // min(max(x, lo), hi); ReLU6: clip(x, 0, 6)
  Value dropout(Value x, float rate);  // rate in [0, 1), else VKNN_ERROR_INVALID_ARGUMENT at once
  Value maxpool(Value x, const Pool& p);
  Value avgpool(Value x, const Pool& p);  // padding counts as zeros (PyTorch's default)
  Value global_avgpool(Value x);          // (N,C,H,W) -> (N,C)
  Value add(Value a, Value b);            // same shapes
  // a * b element-wise: b has a's shape, or is a per-channel gate of a's (N,C,H,W), shaped
  // (N,C) (as global_avgpool and linear give it) or (N,C,1,1): squeeze-excitation.
  Value mul(Value a, Value b);
  Value concat(const std::vector<Value>& xs);  // along channels
  Value flatten(Value x);                      // (N, ...) -> (N, product)
  Value linear(Value x, const std::string& name, int64_t out_features, bool bias = true);  // x: (N,F)
  // Softmax and log-softmax along `axis` of x (negative counts from the end: -1 is the last;
  // 1 of (N,C,H,W) is the channels), as torch.softmax and torch.log_softmax; computed stably
  // (the maximum subtracted first). An axis outside [-rank, rank) is refused when a session
  // or trainer builds the network.
  Value softmax(Value x, int axis = -1);
  Value log_softmax(Value x, int axis = -1);
  // The product of two values, as torch.matmul (alpha and transposes as torch.addmm's and
  // Gemm's): a (...,M,K), b (...,K,N) (transposed: (...,K,M), (...,N,K)) give (...,M,N); the
  // leading dims are each operand's own or all 1 (shared). With c (2-D products only): plus
  // beta * c, c shaped (N), (1,N), (M,1) or (M,N). Operands that do not multiply are refused
  // when a session or trainer builds the network, naming the layer and the shapes. alpha and
  // beta must be finite, else VKNN_ERROR_INVALID_ARGUMENT at once.
  Value matmul(Value a, Value b);  // Matmul{} (a default argument cannot name it in its own class)
  Value matmul(Value a, Value b, const Matmul& m);
  Value matmul(Value a, Value b, Value c, const Matmul& m);
  // The value a session returns: (N,classes) fp32. Called once, last.
  void output(Value x);

  Network(const Network&);
  Network& operator=(const Network&);
  Network(Network&&) noexcept;
  Network& operator=(Network&&) noexcept;
  ~Network();

  struct State;  // internal

 private:
  friend class Session;
  friend class Trainer;
  std::shared_ptr<State> state_;
};

}  // namespace vknn::api
