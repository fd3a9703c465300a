// vknn eval: top-1/top-5 accuracy and mean loss of a weights file over a test split.
#include "cli.h"
#include "model_source.h"
#include "train_common.h"

#include <fmt/format.h>

#include <chrono>

namespace vknn::tools {
namespace {

using Clock = std::chrono::steady_clock;

struct EvalConfig {
  std::string model, weights, data, device;
  int batch = 100, threads = 2;
  int64_t limit = 0;
  bool ten_crop = false, no_optimize = false;
};

int eval_main(const EvalConfig& c) {
  const std::string& model = c.model;
  const std::string& weights = c.weights;
  const std::string& data_dir = c.data;
  const int batch = c.batch;
  const bool ten_crop = c.ten_crop;
  auto fail = [&](const Error& e) {
    fmt::print(stderr, "vknn eval: {}\n", e.what());
    return 1;
  };
  if (auto s = check_model_name(model); !s.ok()) {
    fmt::print(stderr, "vknn eval: --model: {}\n", s.error().message);
    return 2;
  }
  if (weights.empty() && !onnx::is_onnx_path(model)) {
    fmt::print(stderr, "vknn eval: --weights is required for a built-in model (an .onnx file holds its own)\n");
    return 2;
  }
  // The paths first: a wrong one is the likely mistake, and the device takes seconds to open.
  std::vector<Status> paths = {check_input_dir("--data", data_dir)};
  if (!weights.empty()) paths.push_back(check_input_file("--weights", weights));
  if (onnx::is_onnx_path(model)) paths.push_back(check_input_file("--model", model));
  for (const Status& s : paths)
    if (!s.ok()) {
      fmt::print(stderr, "vknn eval: {}\n", s.error().what());
      return 2;
    }
  auto spec = resolve_spec(model);
  if (!spec.ok()) return fail(spec.error());
  auto src = open_data(data_dir, false);
  if (!src.ok()) return fail(src.error());
  for (const auto& w : src->warnings) fmt::print(stderr, "warning: {}\n", w);
  if (!weights.empty()) {  // a checkpoint of `vknn train` says what it is
    auto info = read_checkpoint_info(weights);
    if (!info.ok()) return fail(info.error());
    if (!info->model.empty() && info->model != spec->id)
      return fail(make_error(Errc::invalid_argument, "{} holds weights of '{}', not of --model {}", weights,
                             info->model, model));
    if (info->classes > 0 && info->classes != src->classes)
      return fail(make_error(Errc::invalid_argument, "{} holds a {}-class model but {} has {} classes", weights,
                             info->classes, data_dir, src->classes));
  }
  const int views = ten_crop ? 10 : 1;  // the graph's batch holds every view of `batch` samples
  auto built = resolve_build(*spec, int64_t(batch) * views, src->classes, true, !c.no_optimize);
  if (!built.ok()) return fail(built.error());
  models::Model m = std::move(*built);
  auto opened = open_model(m, weights, c.device);  // the weights are checked before the device opens
  if (!opened.ok()) return fail(opened.error());
  Executor& ex = *opened->executor;
  auto loader = make_loader(*src, *spec, false, false, batch, c.threads, 0, c.limit, ten_crop);
  if (!loader.ok()) return fail(loader.error());
  const auto t0 = Clock::now();
  auto r = evaluate(ex, m, **loader, views);  // fails too when unreadable images ended the split
  if (!r.ok()) return fail(r.error());
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  fmt::print("{} on {} ({} images): top-1 {:.2f}%  top-5 {:.2f}%  loss {:.4f}  ({:.1f} img/s)\n", model, data_dir,
             r->samples, 100 * r->top1, 100 * r->top5, r->loss, double(r->samples) / s);
  return 0;
}

Run setup(CLI::App& app) {
  auto c = std::make_shared<EvalConfig>();
  app.add_option("--model", c->model, "network: a built-in name or FILE.onnx")->type_name("MODEL")->required();
  app.add_option("--weights", c->weights,
                 "safetensors file (a training checkpoint works); optional for FILE.onnx, which holds its own")
      ->type_name("FILE");
  app.add_option("--data", c->data, "dataset folder; its test split (test/ or val/) is evaluated")
      ->type_name("DIR")->required();
  add_int(app, "--batch", c->batch, "images per step", 1, int(kMaxBatch));
  add_int(app, "--threads", c->threads, "data loading threads", 1, kMaxThreads);
  add_int(app, "--limit", c->limit, "evaluate the first N test images (0: all)", int64_t(0));
  app.add_flag("--ten-crop", c->ten_crop,
               "average the four corner and centre crops and their mirror images (image folders, ImageNet models)");
  app.add_flag("--no-optimize", c->no_optimize, "run the graph as built: no BatchNorm folding, ReLU fusion or dropout removal");
  add_device(app, c->device);
  return [c] { return eval_main(*c); };
}

[[maybe_unused]] const bool registered =
    register_command({"eval", "top-1/top-5 accuracy and mean loss over the test split", setup});

}  // namespace
}  // namespace vknn::tools
