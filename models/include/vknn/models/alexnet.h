// AlexNet as in Krizhevsky, Sutskever, Hinton 2012 ("ImageNet Classification with Deep
// Convolutional Neural Networks"), with its two columns (originally one per GPU):
//
//   per column c in {0,1}; tensors and parameters are named "col<c>.<layer>":
//   conv1  11x11 s4, 3 -> 48, ReLU, LRN, maxpool 3x3 s2         227 -> 55 -> 27
//   conv2  5x5 p2, 48 -> 128 (own column), ReLU, LRN, maxpool    27 -> 27 -> 13
//   conv3  3x3 p1, concat(both columns) 256 -> 192, ReLU         13
//   conv4  3x3 p1, 192 -> 192 (own column), ReLU                 13
//   conv5  3x3 p1, 192 -> 128 (own column), ReLU, maxpool       13 -> 6
//   fc6    concat(both columns) flattened 9216 -> 2048, ReLU, dropout 0.5
//   fc7    concat(both fc6) 4096 -> 2048, ReLU, dropout 0.5
//   fc8    (shared, named "fc8") concat(both fc7) 4096 -> classes
//
// Placement: column c runs on target c (Node::target), fc8 and the loss on target 0, as
// the paper ran them on two GPUs. Every layer that sees both columns reads its own column's
// `concat` node ("col<c>.conv3.concat", "col<c>.fc6.concat", "col<c>.fc7.concat",
// "fc8.concat"), and the other column's half reaches it through a transfer node (placement.h)
// named "<tensor>@<target>": the only edges between the columns, forward and backward. On
// one target the transfers alias memory and cost nothing. The concat op works on 4-D
// tensors, so the fc columns are reshaped to (N,2048,1,1) before their concat and the result
// flattened again.
//
// Per training step the columns exchange, forward and again as gradients backward,
// 2 x N x 128 x 13 x 13 (conv3), 2 x N x 128 x 6 x 6 (fc6), 2 x N x 2048 (fc7) and
// N x 2048 (fc8) floats at full width.
// LRN uses the paper's convention (k=2, n=5, alpha=1e-4 NOT divided by n, beta=0.75); see
// vknn/ops/lrn.h. Init per the paper: weights N(0, 0.01^2); biases `hidden_bias` (the
// paper's 1) in conv2, conv4, conv5, fc6, fc7, and 0 in conv1, conv3, fc8.
// Parameter names: col<c>.conv<i>.weight/.bias, col<c>.fc6/fc7.weight/.bias, fc8.weight/.bias.
// At full width and 1000 classes: 60,965,224 parameters.
#pragma once

#include "vknn/models/model.h"

#include <array>

namespace vknn::models {

struct AlexNetOptions {
  int64_t batch = 1;
  int64_t classes = 1000;
  int64_t input_size = 227;   // square; 227 gives the paper's 55/27/13/6 maps
  bool training = false;      // append labels and the softmax cross-entropy loss
  float label_smoothing = 0.0f;  // the loss's, as CrossEntropyLoss(label_smoothing)
  double width = 1.0;         // scales every channel count and fc width (e.g. 1/8 for tests)
  float hidden_bias = 1.0f;   // bias init of conv2/4/5, fc6/7 (paper: 1; Caffe: 0.1)
  float weight_std = 0.01f;   // N(0, weight_std^2) for every weight (paper: 0.01)
  float dropout = 0.5f;       // rate of the fc6/fc7 dropout
};

struct AlexNet : Model {
  // Per column: the outputs of conv1 (55x55 at 227 input), pool1 (27), pool2 (13), pool5 (6).
  struct Column {
    TensorId conv1, pool1, pool2, pool5;
  };
  std::array<Column, 2> columns;
};

AlexNet alexnet(const AlexNetOptions& opt = {});

}  // namespace vknn::models
