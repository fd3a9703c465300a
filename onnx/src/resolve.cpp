#include "vknn/onnx/resolve.h"

#include <fmt/format.h>

namespace vknn::onnx {

std::string model_choices() { return fmt::format("{}, or FILE.onnx", models::model_names()); }

namespace {

Result<ResolvedModel> resolve_unoptimized(const ModelRequest& request) {
  const models::ByNameOptions& o = request.options;
  ResolvedModel r;
  if (request.bytes.empty() && !is_onnx_path(o.name)) {
    if (!models::model_defaults(o.name).ok())
      return make_error(Errc::invalid_argument, "unknown model '{}' (known: {})", o.name, model_choices());
    VKNN_ASSIGN(r.model, models::build_model_by_name(o));
    r.inputs.push_back({"images", r.model.images});
    r.outputs.push_back({r.model.graph.desc(r.model.logits).name, r.model.logits});
    return r;
  }
  const std::string& what = o.name;
  if (o.batch < 1 || o.batch >= (int64_t(1) << 30))
    return make_error(Errc::invalid_argument, "model '{}': batch must be in 1..2^30-1, got {}", what, o.batch);
  if (o.input_size != 0)
    return make_error(Errc::unsupported, "model '{}': an ONNX model fixes its input size; got input size {}", what,
                      o.input_size);
  if (o.width != 1.0)
    return make_error(Errc::unsupported, "model '{}': an ONNX model has no width multiplier; got width {}", what,
                      o.width);
  if (o.shortcut)
    return make_error(Errc::unsupported, "model '{}': an ONNX model has no shortcut option", what);
  ImportOptions io;
  io.batch = o.batch;
  io.training = o.training;
  io.label_smoothing = o.label_smoothing;
  io.loss_output = request.loss_output;
  io.dims = request.dims;
  io.external_data_dir = request.external_data_dir;
  Result<ImportedModel> im = request.bytes.empty() ? import_file(o.name, io) : import_bytes(request.bytes, io, what);
  if (!im.ok()) return im.error();
  if (!im->model.images.valid())
    return make_error(Errc::unsupported, "model '{}': the graph has no runtime input", what);
  const Shape& logits = im->model.graph.shape(im->model.logits);
  if (o.classes != 0 && (logits.rank() != 2 || logits[1] != o.classes))
    return make_error(Errc::invalid_argument, "model '{}': {} classes were asked for, but its output '{}' is {}", what,
                      o.classes, im->model.graph.desc(im->model.logits).name, logits.str());
  r.model = std::move(im->model);
  r.imported = true;
  r.inputs = std::move(im->inputs);
  r.outputs = std::move(im->outputs);
  r.opset = im->opset;
  r.producer = std::move(im->producer);
  return r;
}

}  // namespace

Result<ResolvedModel> resolve_model(const ModelRequest& request) {
  VKNN_ASSIGN(ResolvedModel r, resolve_unoptimized(request));
  if (request.optimize) {
    Result<InferenceRewrites> rw = optimize_for_inference(r.model.graph);
    if (!rw.ok()) return rw.error();
    r.rewrites = *rw;
  }
  if (request.precision == Precision::fp16) {
    VKNN_ASSIGN(r.half, convert_to_fp16(r.model.graph));
  }
  return r;
}

}  // namespace vknn::onnx
