// vknn export: a model (built-in or ONNX) with its weights written as an ONNX file
// (onnx::export_file), so a network trained here deploys anywhere. No device is needed: the
// weights come from the safetensors file, or are the model's initial ones (the values an
// executor starts with, seed 1).
#include "cli.h"
#include "model_source.h"

#include "vknn/graph/executor.h"
#include "vknn/models/model.h"
#include "vknn/onnx/export.h"
#include "vknn/onnx/resolve.h"

#include <fmt/format.h>

#include <filesystem>

namespace vknn::tools {
namespace {

struct ExportConfig {
  std::string model, weights, onnx;
  int64_t input_size = 0, classes = 0;
};

// The output's folder must exist and the output must not be one: said before any work.
Status check_output_path(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p(path);
  if (std::filesystem::is_directory(p, ec)) return make_error(Errc::io, "--onnx {}: is a directory, not a file", path);
  const std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::is_directory(dir, ec))
    return make_error(Errc::io, "--onnx {}: the folder {} does not exist", path, dir.string());
  return {};
}

Status export_main(const ExportConfig& c) {
  VKNN_TRY(check_output_path(c.onnx));
  if (onnx::is_onnx_path(c.model)) VKNN_TRY(check_input_file("--model", c.model));
  if (!c.weights.empty()) VKNN_TRY(check_input_file("--weights", c.weights));
  VKNN_ASSIGN(ModelSpec spec, resolve_spec(c.model));
  int64_t classes = c.classes, size = c.input_size;
  if (!c.weights.empty()) {  // a checkpoint of `vknn train` says what it holds
    VKNN_ASSIGN(CheckpointInfo info, read_checkpoint_info(c.weights));
    if (!info.model.empty() && info.model != spec.id)
      return make_error(Errc::invalid_argument, "{} holds weights of '{}', not of --model {}", c.weights, info.model,
                        c.model);
    if (classes == 0) classes = info.classes;
    if (size == 0 && !spec.onnx) size = info.input_size;
  }
  onnx::ModelRequest req;
  req.options.name = c.model;
  req.options.batch = 1;  // the file's batch dimension is symbolic where the graph allows it
  req.options.classes = classes;
  req.options.input_size = size;
  VKNN_ASSIGN(onnx::ResolvedModel r, onnx::resolve_model(req));
  const Graph& g = r.model.graph;
  onnx::ExportOptions o;
  o.producer_version = VKNN_VERSION_STRING;
  o.graph_name = spec.onnx ? std::filesystem::path(c.model).stem().string() : c.model;
  if (!c.weights.empty()) {  // checked against the graph: every name, shape and dtype
    VKNN_ASSIGN(Executor::HostWeights w, Executor::read_weights(g, c.weights, /*allow_extra=*/true));
    o.values = std::move(w.tensors);
    o.doc = fmt::format("{} with the weights of {}", c.model, std::filesystem::path(c.weights).filename().string());
  } else {
    o.doc = fmt::format("{} with its initial weights (seed {})", c.model, o.seed);
  }
  VKNN_TRY(onnx::export_file(c.onnx, g, r.inputs, r.outputs, o));
  std::string in, out;
  for (const auto& t : r.inputs) in += fmt::format("{}{} {}", in.empty() ? "" : ", ", t.name, g.shape(t.id).str());
  for (const auto& t : r.outputs) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", t.name, g.shape(t.id).str());
  fmt::print("{}: {} ({} parameters, {}) as ONNX opset {}: input {} (at batch 1), output {}\n", c.onnx, c.model,
             models::count_parameters(g), c.weights.empty() ? "initial weights" : "weights of " + c.weights,
             onnx::kExportOpset, in, out);
  return {};
}

int export_cmd(const ExportConfig& c) {
  if (auto s = check_model_name(c.model); !s.ok()) {
    fmt::print(stderr, "vknn export: --model: {}\n", s.error().message);
    return 2;
  }
  if (onnx::is_onnx_path(c.model) && c.input_size != 0) {
    fmt::print(stderr, "vknn export: --input-size: an ONNX model fixes its own input size\n");
    return 2;
  }
  if (const Status s = export_main(c); !s.ok()) {
    fmt::print(stderr, "vknn export: {}\n", s.error().what());
    return 1;
  }
  return 0;
}

Run setup(CLI::App& app) {
  auto c = std::make_shared<ExportConfig>();
  app.add_option("--model", c->model, fmt::format("network: {}", onnx::model_choices()))->type_name("MODEL")->required();
  app.add_option("--weights", c->weights,
                 "safetensors weights or checkpoint to write (default: the model's initial weights: a built-in's "
                 "drawn with seed 1, as an untrained run starts; an ONNX file's own)")
      ->type_name("FILE");
  app.add_option("--onnx", c->onnx, "the ONNX file to write (replaced atomically)")->type_name("FILE")->required();
  add_int(app, "--input-size", c->input_size,
          "built-in models: square input side (0: the checkpoint's, else the model's)", 0, 1 << 16);
  add_int(app, "--classes", c->classes, "number of classes (0: the checkpoint's, else the model's)", 0, 1 << 24);
  return [c] { return export_cmd(*c); };
}

[[maybe_unused]] const bool registered =
    register_command({"export", "write a model and its weights as an ONNX file (inference graph)", setup});

}  // namespace
}  // namespace vknn::tools
