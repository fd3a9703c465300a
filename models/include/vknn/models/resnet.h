// ResNet-18/34 (BasicBlock) and ResNet-50 (Bottleneck), He et al. 2015, in torchvision's
// layout (v1.5: the bottleneck's stride sits on its 3x3 conv):
//   conv1 7x7 s2 p3 (no bias), bn1, ReLU, maxpool 3x3 s2 p1,
//   layer1..layer4 (64/128/256/512 base channels, blocks {2,2,2,2} / {3,4,6,3} / {3,4,6,3}),
//   projection shortcut downsample.0 (1x1 conv, stride) + downsample.1 (BN) where the shape
//   changes, global average pool, fc.
// Tensor names follow torchvision's state_dict exactly: conv1.weight, bn1.{weight,bias,
// running_mean,running_var}, layer<s>.<b>.conv<i>.weight, layer<s>.<b>.bn<i>.*,
// layer<s>.0.downsample.0.weight, layer<s>.0.downsample.1.*, fc.weight, fc.bias, so
// torchvision weights load with Executor::load_weights (num_batches_tracked aside).
// Init as torchvision: convs Kaiming-normal, std = sqrt(2 / (out_channels * kh * kw))
// (mode='fan_out'); BN gamma 1, beta 0; fc weight and bias U(-1/sqrt(in), 1/sqrt(in)).
// BN followed directly by ReLU uses batchnorm's fused ReLU (stem bn1, blocks' bn1 and the
// bottleneck's bn2); the last BN of a block is not fused: the residual add comes first.
// Parameters at 1000 classes: ResNet-18 11,689,512; ResNet-34 21,797,672; ResNet-50 25,557,032.
#pragma once

#include "vknn/models/model.h"

namespace vknn::models {

struct ResNetOptions {
  int depth = 50;              // 18, 34 or 50
  int64_t batch = 1;
  int64_t classes = 1000;
  int64_t input_size = 224;    // square, >= 32 (the network downsamples by 32)
  bool training = false;       // append labels and the softmax cross-entropy loss
  float label_smoothing = 0.0f;  // the loss's, as CrossEntropyLoss(label_smoothing)
};

Model resnet(const ResNetOptions& opt);
inline Model resnet18(ResNetOptions opt = {}) { opt.depth = 18; return resnet(opt); }
inline Model resnet34(ResNetOptions opt = {}) { opt.depth = 34; return resnet(opt); }
inline Model resnet50(ResNetOptions opt = {}) { opt.depth = 50; return resnet(opt); }

}  // namespace vknn::models
