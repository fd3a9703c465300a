// Residual building blocks in torchvision's naming (private to vknn_models).
#pragma once

#include "common.h"
#include "vknn/ops/add.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/channel_pad.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/relu.h"

namespace vknn::models::detail {

// <name>.weight: a bias-free conv, Kaiming-normal (fan_out).
inline TensorId conv_nobias(Graph& g, TensorId x, const std::string& name, int64_t out, int64_t kernel, int stride,
                            int pad) {
  const int64_t in = g.shape(x)[1];
  TensorId w = g.parameter(name + ".weight", {out, in, kernel, kernel}, kaiming_fan_out(out, kernel, kernel));
  Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  return conv2d(g, x, w, TensorId{}, p, name);
}

inline TensorId bn(Graph& g, TensorId x, const std::string& name, bool relu) {
  BatchNormParams p;
  p.relu = relu;
  return batchnorm(g, x, name, p);
}

// What a block adds back where its shape changes (He et al. 2015, sec. 3.3); where it does
// not, every kind but `none` is the identity.
enum class Shortcut {
  none,        // the plain net: no shortcut at all
  projection,  // option B: downsample.0 (1x1 conv, stride) + downsample.1 (BN)
  zero_pad,    // option A: the identity subsampled by the stride, extra channels zero, no parameters
};

inline TensorId shortcut(Graph& g, TensorId x, const std::string& prefix, int64_t out, int stride, Shortcut kind) {
  if (stride == 1 && g.shape(x)[1] == out) return x;
  if (kind == Shortcut::zero_pad) {
    // x's channels first, then the zeros, as fb.resnet.torch's shortcutType 'A' concatenates
    // the identity with a zeroed copy (models/resnet.lua).
    ChannelPadParams p;
    p.stride = stride;
    p.out_channels = out;
    return channel_pad(g, x, p, prefix + ".shortcut");
  }
  return bn(g, conv_nobias(g, x, prefix + ".downsample.0", out, 1, stride, 0), prefix + ".downsample.1", false);
}

// BasicBlock: conv1 3x3 (stride) - bn1+ReLU - conv2 3x3 - bn2 (+ shortcut) - ReLU.
// With Shortcut::none, the plain block (bn2 then ReLU, fused).
inline TensorId basic_block(Graph& g, TensorId x, const std::string& prefix, int64_t out, int stride,
                            Shortcut kind = Shortcut::projection) {
  TensorId h = bn(g, conv_nobias(g, x, prefix + ".conv1", out, 3, stride, 1), prefix + ".bn1", true);
  h = conv_nobias(g, h, prefix + ".conv2", out, 3, 1, 1);
  if (kind == Shortcut::none) return bn(g, h, prefix + ".bn2", true);
  h = bn(g, h, prefix + ".bn2", false);
  return relu(g, add(g, h, shortcut(g, x, prefix, out, stride, kind), prefix + ".add"), prefix + ".relu");
}

// Bottleneck (v1.5): conv1 1x1 - bn1+ReLU - conv2 3x3 (stride) - bn2+ReLU - conv3 1x1 (4x)
// - bn3 (+ shortcut) - ReLU.
inline TensorId bottleneck(Graph& g, TensorId x, const std::string& prefix, int64_t width, int stride) {
  const int64_t out = width * 4;
  TensorId h = bn(g, conv_nobias(g, x, prefix + ".conv1", width, 1, 1, 0), prefix + ".bn1", true);
  h = bn(g, conv_nobias(g, h, prefix + ".conv2", width, 3, stride, 1), prefix + ".bn2", true);
  h = bn(g, conv_nobias(g, h, prefix + ".conv3", out, 1, 1, 0), prefix + ".bn3", false);
  return relu(g, add(g, h, shortcut(g, x, prefix, out, stride, Shortcut::projection), prefix + ".add"),
              prefix + ".relu");
}

}  // namespace vknn::models::detail
