// Small graphs shared by the executor tests.
#pragma once

#include "vknn/graph/autodiff.h"
#include "vknn/graph/executor.h"
#include "vknn/ops/add.h"
#include "vknn/ops/avgpool.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/channel_pad.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/dropout.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/lrn.h"
#include "vknn/ops/maxpool.h"
#include "vknn/ops/relu.h"
#include "vknn/ops/reshape.h"
#include "vknn/ops/sgd.h"
#include "vknn/ops/softmax_xent.h"

#include <cmath>

namespace vknn::test {

struct Net {
  Graph g;
  TensorId x, labels;
};

inline TensorId conv_param(Graph& g, const std::string& name, int64_t k, int64_t c, int64_t r) {
  return g.parameter(name + ".weight", {k, c, r, r}, Init::normal(float(std::sqrt(2.0 / double(c * r * r)))));
}

// x (N,6) -> linear+relu (5) -> linear (3) -> softmax cross-entropy
inline Net mlp(int64_t n = 4) {
  Net m;
  Graph& g = m.g;
  m.x = g.input("x", {n, 6});
  m.labels = g.input("labels", {n}, DType::i32);
  TensorId w1 = g.parameter("fc1.weight", {5, 6}, Init::normal(0.5f)), b1 = g.parameter("fc1.bias", {5}, Init::uniform(0.2f));
  TensorId w2 = g.parameter("fc2.weight", {3, 5}, Init::normal(0.5f)), b2 = g.parameter("fc2.bias", {3}, Init::uniform(0.2f));
  LinearParams fused;
  fused.relu = true;
  TensorId h = linear(g, m.x, w1, b1, fused, "fc1");
  TensorId logits = linear(g, h, w2, b2, {}, "fc2");
  softmax_cross_entropy(g, logits, m.labels);
  return m;
}

// conv-BN-ReLU-pool, then a residual block (conv-BN-ReLU-conv-BN + shortcut), global
// average pooling and a classifier: the shortcut makes a tensor feed two ops.
inline Net residual_cnn(int64_t n = 2) {
  Net m;
  Graph& g = m.g;
  m.x = g.input("x", {n, 3, 8, 8});
  m.labels = g.input("labels", {n}, DType::i32);
  Conv2dParams pad1;
  pad1.pad_h = pad1.pad_w = 1;
  TensorId c1 = conv2d(g, m.x, conv_param(g, "conv1", 4, 3, 3), g.parameter("conv1.bias", {4}, Init::uniform(0.1f)),
                       pad1, "conv1");
  TensorId a1 = relu(g, batchnorm(g, c1, "bn1"), "relu1");
  Pool2dParams pool{2, 2, 2, 2, 0, 0};
  TensorId p1 = maxpool(g, a1, pool, "pool1");
  TensorId r = relu(g, batchnorm(g, conv2d(g, p1, conv_param(g, "block.conv1", 4, 4, 3), {}, pad1, "block.conv1"),
                                 "block.bn1"),
                    "block.relu1");
  r = batchnorm(g, conv2d(g, r, conv_param(g, "block.conv2", 4, 4, 3), {}, pad1, "block.conv2"), "block.bn2");
  TensorId out = relu(g, add(g, r, p1, "block.add"), "block.relu2");
  TensorId pooled = global_avgpool(g, out, "avgpool");
  TensorId logits = linear(g, pooled, g.parameter("fc.weight", {3, 4}, Init::normal(0.5f)),
                           g.parameter("fc.bias", {3}, Init::zeros()), {}, "fc");
  softmax_cross_entropy(g, logits, m.labels);
  return m;
}

// conv-BN-ReLU, then a block that halves the size and doubles the channels with the ResNet
// paper's option-A shortcut (strided identity, zero channels: channel_pad), global average
// pooling and a classifier trained with label smoothing.
inline Net option_a_cnn(int64_t n = 2) {
  Net m;
  Graph& g = m.g;
  m.x = g.input("x", {n, 3, 7, 7});
  m.labels = g.input("labels", {n}, DType::i32);
  Conv2dParams pad1, stride2;
  pad1.pad_h = pad1.pad_w = 1;
  stride2 = pad1;
  stride2.stride_h = stride2.stride_w = 2;
  TensorId a1 = relu(g, batchnorm(g, conv2d(g, m.x, conv_param(g, "conv1", 3, 3, 3), {}, pad1, "conv1"), "bn1"), "relu1");
  TensorId r = relu(g, batchnorm(g, conv2d(g, a1, conv_param(g, "block.conv1", 6, 3, 3), {}, stride2, "block.conv1"),
                                 "block.bn1"),
                    "block.relu1");
  r = batchnorm(g, conv2d(g, r, conv_param(g, "block.conv2", 6, 6, 3), {}, pad1, "block.conv2"), "block.bn2");
  ChannelPadParams a;
  a.stride = 2, a.out_channels = 6, a.channel_offset = 1;
  TensorId out = relu(g, add(g, r, channel_pad(g, a1, a, "block.shortcut"), "block.add"), "block.relu2");
  TensorId pooled = global_avgpool(g, out, "avgpool");
  TensorId logits = linear(g, pooled, g.parameter("fc.weight", {3, 6}, Init::normal(0.5f)),
                           g.parameter("fc.bias", {3}, Init::zeros()), {}, "fc");
  softmax_cross_entropy(g, logits, m.labels, "loss", {0.2f});
  return m;
}

// conv -> LRN (alpha large enough to matter) -> ReLU -> flatten -> dropout -> linear
inline Net lrn_dropout_net(int64_t n = 2) {
  Net m;
  Graph& g = m.g;
  m.x = g.input("x", {n, 2, 5, 5});
  m.labels = g.input("labels", {n}, DType::i32);
  TensorId c = conv2d(g, m.x, conv_param(g, "conv", 6, 2, 3), g.parameter("conv.bias", {6}, Init::uniform(0.1f)), {},
                      "conv");
  LrnParams lp;
  lp.alpha = 0.1f;
  TensorId a = relu(g, lrn(g, c, lp, "lrn"), "relu");
  TensorId d = dropout(g, flatten(g, a, "flatten"), 0.5f, "drop");
  TensorId logits = linear(g, d, g.parameter("fc.weight", {4, 54}, Init::normal(0.3f)),
                           g.parameter("fc.bias", {4}, Init::zeros()), {}, "fc");
  softmax_cross_entropy(g, logits, m.labels);
  return m;
}

}  // namespace vknn::test
