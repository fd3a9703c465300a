// vknn infer: the top-5 classes with softmax probabilities for each image file.
#include "cli.h"
#include "model_source.h"
#include "train_common.h"

#include "vknn/engine/file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace vknn::tools {
namespace {

struct InferConfig {
  std::string model, weights, classes_file, device;
  int64_t classes = 0;
  std::vector<std::string> images;
  bool no_optimize = false;
  std::string precision = "fp32";
};

int infer_main(const InferConfig& c) {
  const std::string& classes_file = c.classes_file;
  int64_t classes = c.classes;
  auto fail = [&](const Error& e) {
    fmt::print(stderr, "vknn infer: {}\n", e.what());
    return 1;
  };
  if (auto s = check_model_name(c.model); !s.ok()) {
    fmt::print(stderr, "vknn infer: --model: {}\n", s.error().message);
    return 2;
  }
  if (c.weights.empty() && !onnx::is_onnx_path(c.model)) {
    fmt::print(stderr, "vknn infer: --weights is required for a built-in model (an .onnx file holds its own)\n");
    return 2;
  }
  // The paths first: a wrong one is the likely mistake, and the device takes seconds to open.
  // An image that fails to decode later is reported and skipped; one that is no file at all
  // stops the command here.
  std::vector<Status> paths;
  if (onnx::is_onnx_path(c.model)) paths.push_back(check_input_file("--model", c.model));
  if (!c.weights.empty()) paths.push_back(check_input_file("--weights", c.weights));
  if (!classes_file.empty()) paths.push_back(check_input_file("--classes", classes_file));
  for (const auto& path : c.images) paths.push_back(check_input_file("IMAGE", path));
  for (const Status& s : paths)
    if (!s.ok()) {
      fmt::print(stderr, "vknn infer: {}\n", s.error().what());
      return 2;
    }
  auto spec = resolve_spec(c.model);
  if (!spec.ok()) return fail(spec.error());
  std::vector<std::string> names;
  if (!classes_file.empty()) {
    auto bytes = read_file_bytes(classes_file);
    if (!bytes.ok()) return fail(bytes.error());
    std::istringstream f(std::string(bytes->begin(), bytes->end()));
    std::string line;
    while (std::getline(f, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      names.push_back(line);
    }
    while (!names.empty() && names.back().empty()) names.pop_back();
    if (classes == 0) classes = int64_t(names.size());
  }
  if (!c.weights.empty()) {  // a checkpoint of `vknn train` says what it is
    auto info = read_checkpoint_info(c.weights);
    if (!info.ok()) return fail(info.error());
    if (!info->model.empty() && info->model != spec->id)
      return fail(make_error(Errc::invalid_argument, "{} holds weights of '{}', not of --model {}", c.weights,
                             info->model, c.model));
    if (classes == 0) classes = info->classes;
    if (names.empty() && classes == info->classes) names = info->class_names;
  }
  if (classes == 0) classes = spec->default_classes;
  if (!names.empty() && int64_t(names.size()) != classes)
    return fail(make_error(Errc::invalid_argument, "{} has {} names but the model has {} classes", classes_file,
                           names.size(), classes));
  auto precision = parse_precision(c.precision);
  if (!precision.ok()) return fail(precision.error());
  auto built = resolve_build(*spec, 1, classes, false, !c.no_optimize, *precision);
  if (!built.ok()) return fail(built.error());
  models::Model m = std::move(*built);
  auto opened = open_model(m, c.weights, c.device);  // the weights are checked before the device opens
  if (!opened.ok()) return fail(opened.error());
  Executor& ex = *opened->executor;
  int status = 0;
  std::vector<float> input(size_t(spec->channels) * size_t(spec->size) * size_t(spec->size));
  for (const auto& path : c.images) {
    auto img = data::load_image(path);
    if (!img.ok()) {
      fmt::print(stderr, "vknn infer: {}\n", img.error().what());
      status = 1;
      continue;
    }
    data::Rng rng(0, 0, 0);
    prepare_image(*img, *spec, false, rng, input);
    if (auto s = ex.set_input(m.images, std::span<const float>(input)); !s.ok()) return fail(s.error());
    if (auto s = ex.infer(); !s.ok()) return fail(s.error());
    auto logits = ex.read(m.logits);
    if (!logits.ok()) return fail(logits.error());
    std::vector<double> p(logits->size());
    const float mx = *std::max_element(logits->begin(), logits->end());
    double sum = 0;
    for (size_t k = 0; k < p.size(); ++k) sum += p[k] = std::exp(double((*logits)[k] - mx));
    std::vector<size_t> order(p.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    const size_t top = std::min<size_t>(5, order.size());
    std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(top), order.end(),
                      [&](size_t a, size_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    fmt::print("{} ({}x{}):\n", path, img->width, img->height);
    for (size_t i = 0; i < top; ++i) {
      const size_t k = order[i];
      fmt::print("  {:2}. class {:4}  {:6.2f}%{}{}\n", i + 1, k, 100 * p[k] / sum, names.empty() ? "" : "  ",
                 names.empty() ? std::string() : names[k]);
    }
  }
  return status;
}

Run setup(CLI::App& app) {
  auto c = std::make_shared<InferConfig>();
  app.add_option("--model", c->model, "network: a built-in name or FILE.onnx")->type_name("MODEL")->required();
  app.add_option("--weights", c->weights,
                 "safetensors file (a training checkpoint works); optional for FILE.onnx, which holds its own")
      ->type_name("FILE");
  app.add_option("--classes", c->classes_file, "class names, one a line (sets the number of classes)")
      ->type_name("FILE");
  add_int(app, "--num-classes", c->classes, "classes of the model (0: from --classes, else the checkpoint's, else the model's default)",
          int64_t(0), int64_t(1) << 24);
  app.add_flag("--no-optimize", c->no_optimize, "run the graph as built: no BatchNorm folding, ReLU fusion or dropout removal");
  add_precision(app, c->precision);
  add_device(app, c->device);
  app.add_option("IMAGE", c->images, "JPEG or PNG files")->type_name("FILE")->default_str("")->required();
  return [c] { return infer_main(*c); };
}

[[maybe_unused]] const bool registered =
    register_command({"infer", "top-5 classes with softmax probabilities per image", setup});

}  // namespace
}  // namespace vknn::tools
