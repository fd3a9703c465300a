// One way from what a user names as a model to its graph: a built-in name ("resnet18", see
// models::model_names()) or an ONNX file (a path ending in .onnx, or the file's bytes). Every
// tool and API that takes a model goes through resolve_model, so a built-in network and an
// imported one are interchangeable wherever a model is named.
//
// It sits in vknn_onnx because it is the one library that knows both: the model builders
// (through models::build_model_by_name) and the importer.
#pragma once

#include "vknn/engine/result.h"
#include "vknn/graph/optimize.h"
#include "vknn/graph/precision.h"
#include "vknn/models/by_name.h"
#include "vknn/onnx/import.h"

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace vknn::onnx {

struct ModelRequest {
  // options.name: a built-in name or a path ending in .onnx. batch, training and
  // label_smoothing apply to both kinds. For an ONNX model, classes 0 takes the file's and
  // any other value must equal it; input_size, width and shortcut are built-in options only
  // (an ONNX file fixes its own) and anything but their defaults is refused.
  models::ByNameOptions options;
  // ONNX only: the output the loss goes on (empty: the first), and named dynamic dimensions.
  std::string loss_output;
  std::map<std::string, int64_t, std::less<>> dims;
  // ONNX only: when not empty, the model's bytes (options.name then only names them in
  // errors); external data files are looked up in external_data_dir.
  std::span<const std::byte> bytes;
  std::filesystem::path external_data_dir;
  // Inference only: rewrite the graph with the inference-graph optimizer (vknn/graph/optimize.h:
  // BN folded into convolutions, ReLUs fused, dropout dropped). The graph then has prepare
  // nodes and cannot be trained (build_backward refuses it); with `training` it keeps its loss
  // and metrics, for evaluation.
  bool optimize = false;
  // Inference only: fp16 storage of activations and weights (vknn/graph/precision.h), applied
  // after the optimizer. The executor refuses the graph on a device without 16-bit storage.
  Precision precision = Precision::fp32;
};

struct ResolvedModel {
  models::Model model;
  bool imported = false;             // from an ONNX file
  std::vector<NamedTensor> inputs;   // built-in: "images"; ONNX: the graph's runtime inputs
  std::vector<NamedTensor> outputs;  // built-in: the logits; ONNX: every graph output
  int64_t opset = 0;                 // ONNX only
  std::string producer;              // ONNX only
  InferenceRewrites rewrites;        // what ModelRequest::optimize changed
  HalfRewrites half;                 // what ModelRequest::precision fp16 changed
};

// Errc::invalid_argument for an unknown name (naming the known ones and the .onnx form) or a
// bad option; the importer's and model builders' errors otherwise (see import.h, by_name.h).
Result<ResolvedModel> resolve_model(const ModelRequest& request);

// "lenet, ..., alexnet, or FILE.onnx": for --help texts and errors.
std::string model_choices();

}  // namespace vknn::onnx
