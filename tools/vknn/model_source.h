// The model of `bench`, `eval`, `infer`, `inspect` and `run`: a built-in name or an .onnx file,
// resolved by onnx::resolve_model (vknn/onnx/resolve.h), the one function every tool and the
// embedding API name models through.
#pragma once

#include "cli.h"
#include "train_common.h"

#include "vknn/onnx/resolve.h"

#include <memory>
#include <string>

namespace vknn::tools {

// What the model takes, for the tools that feed it images: train::model_spec (a built-in's
// table entry, or what an ONNX file's input and output say), after check_model_name.
Result<ModelSpec> resolve_spec(const std::string& model);

// The graph of `spec` at `batch` (classes 0: the model's; ONNX: must be its own), with labels
// and the loss when `training`; rewritten by the inference-graph optimizer when `optimize`
// and to fp16 storage when `precision` says so (then it cannot be trained).
Result<models::Model> resolve_build(const ModelSpec& spec, int64_t batch, int64_t classes, bool training,
                                    bool optimize, Precision precision = Precision::fp32);
// --precision fp32|fp16 (inference).
CLI::Option* add_precision(CLI::App& app, std::string& value);

// The executor of `m` on a new context of `device` (as --device names it), holding the
// weights of `weights` (empty: the graph's own). The file is read and checked against the
// graph before the device is opened, so a bad path fails fast. `ctx` outlives `executor`.
struct OpenedModel {
  std::shared_ptr<Context> ctx;
  std::unique_ptr<Executor> executor;
};
Result<OpenedModel> open_model(const models::Model& m, const std::string& weights, const std::string& device);

// "--model: ..." usage errors: whether `model` can name a model at all (a known name or a
// path ending in .onnx), without reading a file.
Status check_model_name(const std::string& model);

}  // namespace vknn::tools
