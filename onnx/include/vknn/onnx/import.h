// ONNX import: an .onnx file (or its bytes) becomes an ordinary vknn graph built with the
// same op builders as the built-in models, so it runs, benchmarks, trains and checkpoints
// like them. The graph layer knows nothing of ONNX; this library knows the builders.
//
// What the importer does with a model:
//   - Initializers become parameters under their ONNX names (trainable; Constant nodes become
//     frozen ones), holding the file's values (Init::values), so checkpoints, --weights and
//     export address them by those names. Initializers that only feed shape computations
//     are folded and never become tensors.
//   - Shape subgraphs (Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, Slice, Constant,
//     ConstantOfShape, Identity, and integer arithmetic on known values) are folded at import.
//   - The batch is chosen here: it replaces the first dimension of every graph input, so a
//     file exported at batch 1 with dynamic axes runs at any batch. Other dynamic dimensions
//     are given by name (ImportOptions::dims).
//   - A node that cannot be imported does not stop the import: every such node is collected
//     and the model is refused with one Errc::unsupported error listing each one's name, op
//     type and the attribute (or input) at fault.
//   - Bad files (truncated or garbage bytes, missing external data, cycles, dangling inputs,
//     zero, negative or overflowing dims, shapes that do not fit an op) are Errc::parse /
//     Errc::io / Errc::invalid_argument errors naming the file, node and tensor.
// Opsets 9 to 17 of the default domain are supported; see docs/ops.md for each op's
// supported attributes and where vknn's conventions differ from ONNX's.
#pragma once

#include "vknn/engine/result.h"
#include "vknn/models/model.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace vknn::onnx {

// A graph input whose value is fixed at import (a shape, or batch-norm statistics, fed as an
// input): it is treated as a Constant node's output. Integer inputs give `ints` (int64
// whatever the declared integer type), floating-point ones `floats`.
struct ConstantInput {
  std::vector<int64_t> dims;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  bool is_float = false;
};

struct ImportOptions {
  // The first dimension of every graph input. 0 keeps the file's (a dynamic one becomes 1).
  int64_t batch = 1;
  // Values of named dynamic dimensions (dim_param), e.g. {"height", 224}.
  std::map<std::string, int64_t, std::less<>> dims;
  // Append int32 "labels" (N) and the softmax cross-entropy loss on the loss output, as the
  // built-in models do with `training` (their BatchNormalization and Dropout nodes train).
  bool training = false;
  // The graph output the loss goes on, and that Model::logits names; empty: the first one.
  std::string loss_output;
  // The loss's label smoothing, in [0, 1] (torch.nn.CrossEntropyLoss(label_smoothing)).
  float label_smoothing = 0.0f;
  // Where external data files are looked up (import_bytes has no file to be beside).
  std::filesystem::path external_data_dir;
  std::map<std::string, ConstantInput, std::less<>> constant_inputs;
};

struct NamedTensor {
  std::string name;  // its name in the ONNX file
  TensorId id;       // in Model::graph
};

struct ImportedModel {
  // images: the first graph input; logits: the loss output (see ImportOptions), Role::output.
  models::Model model;
  std::vector<NamedTensor> inputs;   // the graph's runtime inputs, in file order (fp32)
  std::vector<NamedTensor> outputs;  // every graph output, in file order, Role::output
  int64_t opset = 0;                 // of the default domain
  std::string producer;              // "pytorch 1.13.1"
};

// Reads `path` (external data beside it) and builds the graph.
Result<ImportedModel> import_file(const std::filesystem::path& path, const ImportOptions& options = {});
// The same from the file's bytes; `what` names them in errors.
Result<ImportedModel> import_bytes(std::span<const std::byte> bytes, const ImportOptions& options = {},
                                   const std::string& what = "<memory>");

// Whether a file name looks like an ONNX model (ends in .onnx), so that tools can take a
// built-in model's name or a file in the same --model option.
bool is_onnx_path(const std::string& name);

}  // namespace vknn::onnx
