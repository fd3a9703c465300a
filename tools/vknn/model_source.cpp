#include "model_source.h"

#include "cli.h"

namespace vknn::tools {

Status check_model_name(const std::string& model) {
  if (onnx::is_onnx_path(model) || models::model_defaults(model).ok()) return {};
  return make_error(Errc::invalid_argument, "unknown model '{}' (known: {})", model, onnx::model_choices());
}

Result<ModelSpec> resolve_spec(const std::string& model) {
  VKNN_TRY(check_model_name(model));
  return model_spec(model);
}

Result<models::Model> resolve_build(const ModelSpec& spec, int64_t batch, int64_t classes, bool training,
                                    bool optimize, Precision precision) {
  VKNN_ASSIGN(models::Model m, build_model(spec, batch, classes, training));
  if (optimize)
    if (auto rw = optimize_for_inference(m.graph); !rw.ok()) return rw.error();
  if (precision == Precision::fp16)
    if (auto rw = convert_to_fp16(m.graph); !rw.ok()) return rw.error();
  return m;
}

CLI::Option* add_precision(CLI::App& app, std::string& value) {
  return add_choice(app, "--precision", value,
                    "storage of activations and weights: fp32, or fp16 (accumulating in fp32; needs the device's "
                    "16-bit storage)",
                    {"fp32", "fp16"});
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
