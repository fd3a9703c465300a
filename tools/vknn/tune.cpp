// vknn tune: pre-tunes a model (built-in or ONNX) on a device, so that its first real run does not
// pay for timing kernel variants. Making the model's executor records every node, and the ops with
// variants time their candidates at each shape's first use (vknn/engine/tuning.h); the choices go
// to the tuning file of the device. Prints each tuned layer's choice and where the file is.
#include "cli.h"
#include "model_source.h"

#include "vknn/graph/executor.h"
#include "vknn/ops/conv2d.h"
#include "vknn/onnx/resolve.h"

#include <fmt/format.h>

#include <chrono>

namespace vknn::tools {
namespace {

struct TuneConfig {
  std::string model, device;
  int64_t batch = 1;
  bool no_optimize = false;
};

Status tune_model(const TuneConfig& c) {
  VKNN_ASSIGN(auto ctx, Context::create(context_options(c.device)));
  TuneTable* table = ctx->profile().tuner();
  if (!table)
    return make_error(Errc::invalid_argument, "the autotuner is off (VKNN_TUNE=off): nothing to tune");
  onnx::ModelRequest req;
  req.options.name = c.model;
  req.options.batch = c.batch;
  req.optimize = !c.no_optimize;
  VKNN_ASSIGN(onnx::ResolvedModel r, onnx::resolve_model(req));
  const Graph& g = r.model.graph;
  const size_t before = table->size();
  const auto t0 = std::chrono::steady_clock::now();
  VKNN_ASSIGN(auto ex, Executor::create(*ctx, g));  // recording tunes each new shape
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("{} at batch {} on {}\n", c.model, c.batch, ctx->caps().name);
  fmt::print("  {:<32} {:<20} {:<20} {}\n", "layer", "input", "weights", "choice");
  for (const Node& n : g.nodes()) {
    const Conv2dParams* p = conv2d_params(n);
    if (!p) continue;
    const bool residual = conv2d_has_residual(n), bias = n.inputs.size() == (residual ? 4u : 3u);  // x, w[, b][, r]
    VKNN_ASSIGN(const std::string choice,
                conv2d_forward_choice(*ctx, *p, g.shape(n.inputs[0]), g.shape(n.inputs[1]), bias, residual));
    fmt::print("  {:<32} {:<20} {:<20} {}\n", n.name, g.shape(n.inputs[0]).str(), g.shape(n.inputs[1]).str(), choice);
  }
  fmt::print("  {} shape(s) tuned now, {} known before, in {:.1f} s (executor made)\n", table->size() - before, before,
             seconds);
  fmt::print("  tuning file: {}\n", table->path().empty() ? std::string("none (no cache folder)") : table->path().string());
  return {};
}

int tune_main(const TuneConfig& c) {
  if (auto s = check_model_name(c.model); !s.ok()) {
    fmt::print(stderr, "vknn tune: --model: {}\n", s.error().message);
    return 2;
  }
  if (const Status s = tune_model(c); !s.ok()) {
    fmt::print(stderr, "vknn tune: {}\n", s.error().what());
    return 1;
  }
  return 0;
}

Run setup(CLI::App& app) {
  auto c = std::make_shared<TuneConfig>();
  app.add_option("--model", c->model, fmt::format("network: {}", onnx::model_choices()))->type_name("MODEL")->required();
  add_int(app, "--batch", c->batch, "images per batch: the shapes to tune (default 1)", 1, kMaxBatch);
  app.add_flag("--no-optimize", c->no_optimize, "tune the graph as built, not as the inference optimizer rewrites it");
  add_device(app, c->device);
  return [c] { return tune_main(*c); };
}

[[maybe_unused]] const bool registered =
    register_command({"tune", "time the kernel variants of a model's layers on the device and keep the fastest", setup});

}  // namespace
}  // namespace vknn::tools
