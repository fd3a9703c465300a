#include "model_source.h"

#include "cli.h"

namespace vknn::tools {

Status check_model_name(const std::string& model) {
  if (onnx::is_onnx_path(model) || models::model_defaults(model).ok()) return {};
  return make_error(Errc::invalid_argument, "unknown model '{}' (known: {})", model, onnx::model_choices());
}

Result<ModelSpec> resolve_spec(const std::string& model) {
  if (!onnx::is_onnx_path(model)) {
    VKNN_TRY(check_model_name(model));
    return model_spec(model);
  }
  onnx::ModelRequest req;
  req.options.name = model;
  VKNN_ASSIGN(onnx::ResolvedModel r, onnx::resolve_model(req));
  const Graph& g = r.model.graph;
  const Shape& in = g.shape(r.model.images);
  const Shape& out = g.shape(r.model.logits);
  if (in.rank() != 4 || in[2] != in[3] || in[1] > 4)
    return make_error(Errc::unsupported, "{}: input '{}' is {}; images need a square (N,C,H,W) input of 1 to 4 channels",
                      model, g.desc(r.model.images).name, in.str());
  if (out.rank() != 2)
    return make_error(Errc::unsupported, "{}: output '{}' is {}; classes need an (N,classes) output", model,
                      g.desc(r.model.logits).name, out.str());
  ModelSpec s;
  s.name = model;
  s.channels = int(in[1]);
  s.size = int(in[2]);
  s.default_classes = int(out[1]);
  if (s.channels == 3 && s.size >= 64) {
    s.resize_shorter = s.size * 256 / 224;
    s.mean = {0.485f, 0.456f, 0.406f};
    s.stddev = {0.229f, 0.224f, 0.225f};
  }
  return s;
}

Result<models::Model> resolve_build(const ModelSpec& spec, int64_t batch, int64_t classes, bool training) {
  onnx::ModelRequest req;
  req.options.name = spec.name;
  req.options.batch = batch, req.options.classes = classes, req.options.training = training;
  VKNN_ASSIGN(onnx::ResolvedModel r, onnx::resolve_model(req));
  return std::move(r.model);
}

Result<OpenedModel> open_model(const models::Model& m, const std::string& weights, const std::string& device) {
  Executor::HostWeights host_weights;
  if (!weights.empty()) {  // allow_extra: a training checkpoint also holds momentum buffers
    VKNN_ASSIGN(host_weights, Executor::read_weights(m.graph, weights, true));
  }
  OpenedModel out;
  VKNN_ASSIGN(out.ctx, Context::create(context_options(device)));
  VKNN_ASSIGN(out.executor, Executor::create(*out.ctx, m.graph));
  VKNN_TRY(out.executor->load_weights(host_weights));
  return out;
}

}  // namespace vknn::tools
