// A LeNet-style small CNN for 28x28 single-channel images (MNIST, Fashion-MNIST):
//   conv1 5x5 p2 (1 -> conv1_channels) + ReLU, maxpool 2x2 s2      28 -> 28 -> 14
//   conv2 5x5    (-> conv2_channels) + ReLU, maxpool 2x2 s2        14 -> 10 -> 5
//   fc1 (conv2_channels*5*5 -> hidden) + ReLU, fc2 (hidden -> classes)
// Defaults are LeNet-5's widths (6, 16, 120); 32/64/512 makes a stronger baseline.
// images is (N,1,28,28). Init: PyTorch's default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
// weights and biases. Names: conv1, conv2, fc1, fc2 (.weight/.bias).
#pragma once

#include "vknn/models/model.h"

namespace vknn::models {

struct LeNetOptions {
  int64_t batch = 64;
  int64_t classes = 10;
  int64_t conv1_channels = 6;
  int64_t conv2_channels = 16;
  int64_t hidden = 120;
  bool training = false;  // append labels and the softmax cross-entropy loss
  float label_smoothing = 0.0f;  // the loss's, as CrossEntropyLoss(label_smoothing)
};

Model lenet(const LeNetOptions& opt = {});

}  // namespace vknn::models
