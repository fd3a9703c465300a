// Builds a model from its name, as `vknn train --model` names them, for callers that take
// the name from a user (the embedding API). Every option is checked here first, so that a
// bad name, size or width is an Errc::invalid_argument / Errc::unsupported error instead of
// reaching a model function's option check (VKNN_CHECK, which aborts: a contract violation by
// a model author); wiring the op builders refuse comes back as the graph's error.
#pragma once

#include "vknn/engine/result.h"
#include "vknn/models/cifar.h"
#include "vknn/models/model.h"

#include <optional>
#include <string>

namespace vknn::models {

// "lenet, lenet-wide, cifar-resnet20|32|44|56, cifar-plain20|32|44|56, resnet18|34|50, alexnet"
const char* model_names();

struct ModelDefaults {
  int64_t channels = 3;
  int64_t input_size = 32;  // square side
  int64_t classes = 10;
};
// The defaults of a known name; Errc::invalid_argument naming the known ones otherwise.
Result<ModelDefaults> model_defaults(const std::string& name);

struct ByNameOptions {
  std::string name;
  int64_t batch = 1;
  int64_t classes = 0;     // 0: the model's default
  int64_t input_size = 0;  // 0: the model's default
  double width = 1.0;      // channel multiplier: alexnet, lenet and lenet-wide only
  bool training = false;   // append labels and the loss (see model.h)
  float label_smoothing = 0.0f;  // the loss's, in [0, 1] (CrossEntropyLoss(label_smoothing))
  // cifar-resnet*: option A (default) or B where a block changes shape; other models refuse it.
  std::optional<models::CifarShortcut> shortcut;
};

// Refuses: an unknown name; batch or classes below 1; an input size the network cannot take
// (alexnet >= 67, resnets >= 32, cifar nets a positive multiple of 4, lenet 28 only); a
// width outside (0, 16] or a width other than 1 on a model without one (Errc::unsupported);
// a label smoothing outside [0, 1]; a shortcut option on a model other than cifar-resnet*;
// and any tensor of 2^30 or more elements (the shaders index with 32-bit integers).
Result<Model> build_model_by_name(const ByNameOptions& opt);

}  // namespace vknn::models
