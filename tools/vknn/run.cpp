// vknn run: the forward pass of a model (built-in or ONNX) on a tensor file. The input is a
// NumPy .npy array of the model's input shape; its first dimension is the batch the graph is
// built at. The model's outputs (a built-in's logits; an ONNX file's graph outputs in file
// order) are written as float32 .npy, the k-th to the k-th --output.
#include "cli.h"
#include "model_source.h"

#include "vknn/data/npy.h"
#include "vknn/graph/executor.h"
#include "vknn/onnx/resolve.h"

#include <fmt/format.h>

namespace vknn::tools {
namespace {

struct RunConfig {
  std::string model, input, weights, device;
  std::vector<std::string> outputs;
  bool no_optimize = false;
  std::string precision = "fp32";
};

Status run_model(const RunConfig& c) {
  VKNN_ASSIGN(data::NpyArray x, data::read_npy(c.input));
  if (x.shape.empty() || x.shape[0] < 1)
    return make_error(Errc::invalid_argument, "{}: an input needs a batch dimension first; its shape has {} dims",
                      c.input, x.shape.size());
  onnx::ModelRequest req;
  req.options.name = c.model;
  req.options.batch = x.shape[0];
  req.optimize = !c.no_optimize;
  VKNN_ASSIGN(req.precision, parse_precision(c.precision));
  VKNN_ASSIGN(onnx::ResolvedModel r, onnx::resolve_model(req));
  const models::Model& m = r.model;
  if (c.outputs.size() > r.outputs.size())
    return make_error(Errc::invalid_argument, "model '{}' has {} output{}, but --output was given {} times", c.model,
                      r.outputs.size(), r.outputs.size() == 1 ? "" : "s", c.outputs.size());
  if (r.inputs.size() != 1)
    return make_error(Errc::unsupported, "model '{}' has {} runtime inputs; vknn run feeds one", c.model,
                      r.inputs.size());
  const Shape& want = m.graph.shape(m.images);
  if (want.dims != x.shape)
    return make_error(Errc::invalid_argument, "{}: shape {} does not fit input '{}' of model '{}', which is {} at batch {}",
                      c.input, Shape(x.shape).str(), m.graph.desc(m.images).name, c.model, want.str(), x.shape[0]);
  VKNN_ASSIGN(auto ctx, Context::create(context_options(c.device)));
  VKNN_ASSIGN(auto ex, Executor::create(*ctx, m.graph));
  if (!c.weights.empty()) VKNN_TRY(ex->load_weights(c.weights, /*allow_extra=*/true));
  VKNN_TRY(ex->set_input(m.images, std::span<const float>(x.values)));
  VKNN_TRY(ex->infer());
  for (size_t k = 0; k < c.outputs.size(); ++k) {
    const onnx::NamedTensor& o = r.outputs[k];
    data::NpyArray y;
    VKNN_ASSIGN(y.values, ex->read(o.id));
    y.shape = m.graph.shape(o.id).dims;
    VKNN_TRY(data::write_npy(c.outputs[k], y));
    fmt::print("{}: {} -> {} {} ({})\n", c.model, Shape(x.shape).str(), o.name, m.graph.shape(o.id).str(),
               c.outputs[k]);
  }
  return {};
}

int run_main(const RunConfig& c) {
  if (auto s = check_model_name(c.model); !s.ok()) {
    fmt::print(stderr, "vknn run: --model: {}\n", s.error().message);
    return 2;
  }
  if (const Status s = run_model(c); !s.ok()) {
    fmt::print(stderr, "vknn run: {}\n", s.error().what());
    return 1;
  }
  return 0;
}

Run setup(CLI::App& app) {
  auto c = std::make_shared<RunConfig>();
  app.add_option("--model", c->model, fmt::format("network: {}", onnx::model_choices()))->type_name("MODEL")->required();
  app.add_option("--input", c->input, ".npy array of the model's input shape; its first dimension is the batch")
      ->type_name("FILE")->required();
  app.add_option("--output", c->outputs,
                 ".npy file an output is written to (float32); repeat for the model's later outputs, in order")
      ->type_name("FILE")->required();
  app.add_option("--weights", c->weights, "safetensors parameters to load (default: the model's own)")
      ->type_name("FILE");
  app.add_flag("--no-optimize", c->no_optimize, "run the graph as built: no BatchNorm folding, ReLU fusion or dropout removal");
  add_precision(app, c->precision);
  add_device(app, c->device);
  return [c] { return run_main(*c); };
}

[[maybe_unused]] const bool registered =
    register_command({"run", "forward pass on a .npy tensor file, outputs written as .npy", setup});

}  // namespace
}  // namespace vknn::tools
