// vknn inspect: a model's graph without running it (no device needed): its inputs and
// outputs, every layer with its output shapes at the chosen batch, its parameters and FLOPs,
// the totals, and what of an ONNX file cannot be imported (every such node, with its op type
// and the attribute at fault).
#include "cli.h"

#include "vknn/models/model.h"
#include "vknn/onnx/resolve.h"

#include <fmt/format.h>

#include <chrono>
#include <set>

namespace vknn::tools {
namespace {

struct InspectConfig {
  std::string model, positional;
  int64_t batch = 1;
  bool no_optimize = false;
};

std::string shapes_of(const Graph& g, const std::vector<TensorId>& ids) {
  std::string s;
  for (TensorId t : ids) {
    const TensorDesc& d = g.desc(t);
    s += (s.empty() ? "" : " ") + d.shape.str();
    if (d.channel_slice_of.valid())  // written in place into a concat's output
      s += fmt::format(" in {}[{}:{})", g.desc(d.channel_slice_of).name, d.channel_offset, d.channel_offset + d.shape[1]);
  }
  return s;
}

void print_graph(const std::string& name, const onnx::ResolvedModel& r, int64_t batch) {
  const Graph& g = r.model.graph;
  if (r.imported)
    fmt::print("{}: ONNX, opset {}, producer '{}', batch {}\n", name, r.opset, r.producer, batch);
  else
    fmt::print("{}: built-in model, batch {}\n", name, batch);
  for (const auto& i : r.inputs) fmt::print("  input   {:<24} {}\n", i.name, g.shape(i.id).str());
  for (const auto& o : r.outputs) fmt::print("  output  {:<24} {}\n", o.name, g.shape(o.id).str());
  fmt::print("  {:>4}  {:<32} {:<18} {:<24} {:>12} {:>12}\n", "#", "layer", "op", "output", "parameters", "MFLOPs");
  std::set<int32_t> counted;  // a parameter shared by several layers counts once, at its first
  double flops_total = 0;
  int index = 0;
  for (const Node& n : g.nodes()) {
    int64_t params = 0;
    for (TensorId t : n.inputs) {
      const TensorDesc& d = g.desc(t);
      if (d.role == Role::parameter && counted.insert(t.index).second) params += d.shape.numel();
    }
    // A prepare node runs once per change of the weights, not per batch.
    const double flops = n.phase == Phase::prepare ? 0.0 : n.op->flops(g, n);
    flops_total += flops;
    fmt::print("  {:>4}  {:<32} {:<18} {:<24} {:>12} {:>12}\n", index++, n.name, n.op->type(), shapes_of(g, n.outputs),
               params ? fmt::format("{}", params) : "", flops > 0 ? fmt::format("{:.2f}", flops / 1e6) : "");
  }
  const int64_t params = models::count_parameters(g);
  fmt::print("  total: {} layers, {} parameters ({:.2f} MiB fp32), {:.3f} GFLOPs per batch of {}\n", g.nodes().size(),
             params, double(params) * 4 / (1 << 20), flops_total / 1e9, batch);
  const InferenceRewrites& rw = r.rewrites;
  if (rw.total() > 0)
    fmt::print("  optimized for inference: {} BatchNorm folded into convolutions (prepare nodes), {} residual add "
               "fused, {} ReLU fused, {} dropout removed, {} concat written in place by its inputs' producers\n",
               rw.batchnorms_folded, rw.residuals_fused, rw.relus_fused, rw.dropouts_removed, rw.concats_removed);
  fmt::print("  unsupported: none\n");
}

int inspect_main(const InspectConfig& c) {
  const std::string model = c.model.empty() ? c.positional : c.model;
  if (model.empty() || (!c.model.empty() && !c.positional.empty())) {
    fmt::print(stderr, "vknn inspect: give the model once, as --model MODEL or as MODEL\n");
    return 2;
  }
  if (!onnx::is_onnx_path(model) && !models::model_defaults(model).ok()) {
    fmt::print(stderr, "vknn inspect: --model: unknown model '{}' (known: {})\n", model, onnx::model_choices());
    return 2;
  }
  onnx::ModelRequest req;
  req.options.name = model;
  req.options.batch = c.batch;
  req.optimize = !c.no_optimize;
  const auto start = std::chrono::steady_clock::now();
  auto r = onnx::resolve_model(req);
  const double import_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!r.ok()) {
    // An unsupported model's error lists every node that cannot be imported.
    if (r.error().code == Errc::unsupported) {
      fmt::print("unsupported: {}\n", r.error().message);  // the message names the file
      fmt::print(stderr, "vknn inspect: {} cannot be imported (see above)\n", model);
    } else {
      fmt::print(stderr, "vknn inspect: {}\n", r.error().what());
    }
    return 1;
  }
  print_graph(model, *r, c.batch);
  fmt::print("  import: {:.1f} ms (reading the model and building its graph; no device)\n", import_ms);
  return 0;
}

Run setup(CLI::App& app) {
  auto c = std::make_shared<InspectConfig>();
  app.add_option("--model", c->model, fmt::format("network: {}", onnx::model_choices()))->type_name("MODEL");
  add_int(app, "--batch", c->batch, "batch the shapes and FLOPs are given at", 1, kMaxBatch);
  app.add_option("MODEL", c->positional, "the same as --model")->type_name("MODEL");
  app.add_flag("--no-optimize", c->no_optimize,
               "the graph as built, not as the inference-graph optimizer rewrites it for eval, infer, run and bench");
  return [c] { return inspect_main(*c); };
}

[[maybe_unused]] const bool registered = register_command(
    {"inspect", "layers, shapes, parameters and FLOPs of a model, and what of an ONNX file is unsupported", setup});

}  // namespace
}  // namespace vknn::tools
