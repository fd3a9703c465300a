// The CIFAR-10 networks of He et al. 2015, sec. 4.2: 6n+2 layers,
//   conv1 3x3 (3 -> 16), bn1, ReLU on 32x32,
//   layer1: n blocks of two 3x3 convs, 16 filters, 32x32
//   layer2: n blocks, 32 filters, 16x16 (first conv stride 2)
//   layer3: n blocks, 64 filters, 8x8 (first conv stride 2)
//   global average pool, fc -> classes.
// depth 20/32/44/56 is n = 3/5/7/9. With `shortcuts` each block is a BasicBlock (conv-BN-
// ReLU-conv-BN, + shortcut, ReLU); without, the same stack is the paper's "plain" net.
// Shortcuts where the shape changes (layer2.0 and layer3.0):
//   option A (the default, what the paper uses on CIFAR-10): the identity subsampled by
//     stride 2 with the extra channels zero (channel_pad, named layer<s>.0.shortcut), no
//     parameters: 0.27M/0.46M/0.66M/0.85M parameters at depth 20/32/44/56 as the paper's
//     table 6 (269,722 / 464,154 / 658,586 / 853,018);
//   option B: a projection (1x1 conv stride 2 + BN, layer<s>.0.downsample.0/.1), 2,752 more.
// Names follow the torchvision ResNet convention (conv1, bn1, layer<s>.<b>.conv<i>,
// layer<s>.<b>.bn<i>, fc); init as resnet.h (Kaiming-normal fan_out convs, no conv bias).
#pragma once

#include "vknn/engine/result.h"
#include "vknn/models/model.h"

#include <string>

namespace vknn::models {

// He et al. 2015, sec. 3.3: A pads with zeros, B projects.
enum class CifarShortcut : uint8_t { a, b };
const char* cifar_shortcut_name(CifarShortcut s);                   // "A", "B"
Result<CifarShortcut> parse_cifar_shortcut(const std::string& s);  // "A"/"a", "B"/"b"

struct CifarNetOptions {
  int depth = 20;              // 6n+2: 20, 32, 44, 56 (any n >= 1 builds)
  bool shortcuts = true;       // false: the plain net of the same depth
  CifarShortcut shortcut = CifarShortcut::a;  // where the shape changes (with `shortcuts`)
  int64_t batch = 128;
  int64_t classes = 10;
  int64_t input_size = 32;     // square, a multiple of 4
  bool training = false;       // append labels and the softmax cross-entropy loss
  float label_smoothing = 0.0f;  // the loss's, as CrossEntropyLoss(label_smoothing)
};

Model cifar_resnet(const CifarNetOptions& opt);
inline Model cifar_plain(CifarNetOptions opt) { opt.shortcuts = false; return cifar_resnet(opt); }

}  // namespace vknn::models
