#include "vknn/models/by_name.h"

#include "vknn/models/alexnet.h"
#include "vknn/models/cifar.h"
#include "vknn/models/lenet.h"
#include "vknn/models/resnet.h"

#include <algorithm>
#include <cmath>

namespace vknn::models {
namespace {

// The shaders index with 32-bit (partly signed) integers; see graph/src/ops/conv2d.cpp.
constexpr int64_t kMaxElements = int64_t(1) << 30;
constexpr int64_t kMaxInputSize = 8192;
constexpr double kMaxWidth = 16.0;

int64_t scaled(int64_t channels, double width) {
  return std::max<int64_t>(1, int64_t(std::lround(double(channels) * width)));
}

// (size + 2 pad - kernel) / stride + 1, as conv2d and the pools compute it.
int64_t out_size(int64_t size, int64_t kernel, int64_t stride, int64_t pad) {
  return (size + 2 * pad - kernel) / stride + 1;
}

// The depth in "cifar-resnet20", or 0 when `name` is not a CIFAR net.
int cifar_depth(const std::string& name) {
  for (const std::string prefix : {"cifar-resnet", "cifar-plain"}) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string d = name.substr(prefix.size());
    if (d == "20" || d == "32" || d == "44" || d == "56") return std::stoi(d);
  }
  return 0;
}

}  // namespace

const char* model_names() {
  return "lenet, lenet-wide, cifar-resnet20|32|44|56, cifar-plain20|32|44|56, resnet18|34|50, alexnet";
}

Result<ModelDefaults> model_defaults(const std::string& name) {
  if (name == "lenet" || name == "lenet-wide") return ModelDefaults{1, 28, 10};
  if (cifar_depth(name)) return ModelDefaults{3, 32, 10};
  if (name == "resnet18" || name == "resnet34" || name == "resnet50") return ModelDefaults{3, 224, 1000};
  if (name == "alexnet") return ModelDefaults{3, 227, 1000};
  return make_error(Errc::invalid_argument, "unknown model '{}' (known: {})", name, model_names());
}

namespace {

Result<Model> build_checked(const ByNameOptions& opt) {
  VKNN_ASSIGN(const ModelDefaults def, model_defaults(opt.name));
  const std::string& name = opt.name;
  const int64_t n = opt.batch;
  const int64_t classes = opt.classes == 0 ? def.classes : opt.classes;
  const int64_t size = opt.input_size == 0 ? def.input_size : opt.input_size;
  const double w = opt.width;
  if (n < 1 || n >= kMaxElements)  // the upper bound keeps the size products below in int64
    return make_error(Errc::invalid_argument, "model '{}': batch must be in 1..2^30-1, got {}", name, n);
  if (classes < 1 || classes >= kMaxElements)
    return make_error(Errc::invalid_argument, "model '{}': classes must be in 1..2^30-1, got {}", name, classes);
  if (size < 1 || size > kMaxInputSize)
    return make_error(Errc::invalid_argument, "model '{}': input size {} is outside 1..{}", name, size, kMaxInputSize);
  if (!(opt.label_smoothing >= 0.0f && opt.label_smoothing <= 1.0f))
    return make_error(Errc::invalid_argument, "model '{}': label smoothing must be in [0, 1], got {}", name,
                      opt.label_smoothing);
  if (opt.shortcut && name.rfind("cifar-resnet", 0) != 0)
    return make_error(Errc::unsupported, "model '{}' has no shortcut option (only cifar-resnet* do); got shortcut {}",
                      name, cifar_shortcut_name(*opt.shortcut));
  const bool has_width = name == "alexnet" || name.rfind("lenet", 0) == 0;
  if (!(w > 0 && w <= kMaxWidth))
    return make_error(Errc::invalid_argument, "model '{}': width must be in (0, {}], got {}", name, kMaxWidth, w);
  if (!has_width && w != 1.0)
    return make_error(Errc::unsupported, "model '{}' has no width multiplier (only alexnet and lenet do); got width {}",
                      name, w);

  // The largest tensor of each network, from its layer table (see the model headers).
  int64_t largest = n * def.channels * size * size;
  auto need = [&](int64_t elements) { largest = std::max(largest, elements); };
  auto too_large = [&]() -> Error {
    return make_error(Errc::invalid_argument,
                      "model '{}' at batch {}, input size {}, width {}, {} classes needs a tensor of {} elements; "
                      "2^30 or more is not supported",
                      name, n, size, w, classes, largest);
  };
  if (name.rfind("lenet", 0) == 0) {
    if (size != 28)
      return make_error(Errc::invalid_argument, "model '{}' takes 28x28 images only, got input size {}", name, size);
    const bool wide = name == "lenet-wide";
    LeNetOptions o;
    o.batch = n, o.classes = classes, o.training = opt.training;
    o.label_smoothing = opt.label_smoothing;
    o.conv1_channels = scaled(wide ? 32 : 6, w);
    o.conv2_channels = scaled(wide ? 64 : 16, w);
    o.hidden = scaled(wide ? 512 : 120, w);
    need(n * o.conv1_channels * 28 * 28);
    need(o.hidden * o.conv2_channels * 25);
    need(classes * o.hidden);
    if (largest >= kMaxElements) return too_large();
    return lenet(o);
  }
  if (const int depth = cifar_depth(name)) {
    if (size < 4 || size % 4 != 0)
      return make_error(Errc::invalid_argument, "model '{}': input size {} is not a positive multiple of 4", name, size);
    CifarNetOptions o;
    o.depth = depth;
    o.shortcuts = name.rfind("cifar-resnet", 0) == 0;
    if (opt.shortcut) o.shortcut = *opt.shortcut;
    o.batch = n, o.classes = classes, o.input_size = size, o.training = opt.training;
    o.label_smoothing = opt.label_smoothing;
    need(n * 16 * size * size);  // conv1 and layer1; later stages are half as large
    need(classes * 64);
    if (largest >= kMaxElements) return too_large();
    return cifar_resnet(o);
  }
  if (name == "alexnet") {
    // conv1 11x11 s4, then three 3x3 s2 pools (conv2..5 keep the size): the last pool needs
    // a 3x3 map, so 11 + 4 * (2 * (2 * (2 * 1 + 1) + 1) + 1 - 1) = 67 is the smallest input.
    if (size < 67)
      return make_error(Errc::invalid_argument, "model 'alexnet': input size {} is below 67, the smallest it takes",
                        size);
    const int64_t a = out_size(size, 11, 4, 0), b = out_size(a, 3, 2, 0), c = out_size(b, 3, 2, 0),
                  d = out_size(c, 3, 2, 0);
    need(n * scaled(48, w) * a * a);                       // conv1, lrn1 per column
    need(n * 2 * scaled(192, w) * c * c);                  // conv3 concat
    need(scaled(2048, w) * 2 * scaled(128, w) * d * d);    // fc6 weight per column
    need(classes * 2 * scaled(2048, w));                   // fc8 weight
    if (largest >= kMaxElements) return too_large();
    AlexNetOptions o;
    o.batch = n, o.classes = classes, o.input_size = size, o.width = w, o.training = opt.training;
    o.label_smoothing = opt.label_smoothing;
    Model m = alexnet(o);  // the column taps are not needed here
    return m;
  }
  if (size < 32) return make_error(Errc::invalid_argument, "model '{}': input size {} is below 32", name, size);
  ResNetOptions o;  // resnet18|34|50: model_defaults accepted no other name
  o.depth = std::stoi(name.substr(6));
  o.batch = n, o.classes = classes, o.input_size = size, o.training = opt.training;
  o.label_smoothing = opt.label_smoothing;
  const int64_t half = out_size(size, 7, 2, 3), quarter = out_size(half, 3, 2, 1);
  need(n * 64 * half * half);                                 // conv1
  need(n * (o.depth == 50 ? 256 : 64) * quarter * quarter);  // layer1
  need(classes * (o.depth == 50 ? 2048 : 512));
  if (largest >= kMaxElements) return too_large();
  return resnet(o);
}

}  // namespace

Result<Model> build_model_by_name(const ByNameOptions& opt) {
  VKNN_ASSIGN(Model m, build_checked(opt));
  VKNN_TRY(m.graph.status());  // the builders' own refusals, should a check above miss one
  return m;
}

}  // namespace vknn::models
