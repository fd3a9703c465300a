// ONNX export: a vknn graph (built-in or imported) becomes an ONNX model, so that a network
// trained here runs anywhere. It is the importer's inverse and sits beside it; the graph
// layer knows nothing of ONNX, this library reads the graph's nodes through each op's
// parameter accessor (vknn/ops/*.h).
//
// What is written:
//   - The inference graph: the forward nodes of a graph built without the loss (training
//     false) and before the inference-graph optimizer. Batch normalization uses its running
//     statistics; dropout is the identity and is left out.
//   - Parameters and state (batch-norm running statistics) become initializers under their
//     vknn names, so importing the file gives the same names (checkpoints, --weights).
//     Frozen parameters become Constant nodes (the importer makes those frozen again).
//   - Opset kExportOpset of the default domain, IR version 7. Ops with no ONNX counterpart
//     become standard ops the importer reads back: SiLU as Sigmoid and Mul, a channel shuffle
//     as Reshape, Transpose and Reshape, a zero-padded strided shortcut (channel_pad) as a 1x1
//     convolution whose constant weight selects the channels, fused ReLUs as Relu nodes.
//   - The first dimension of the inputs and outputs is symbolic ("N") when every reshape in
//     the graph keeps the first dimension; otherwise the file is fixed at the graph's batch.
// A node that cannot be written does not stop the walk: every such node is collected and the
// export is refused with one Errc::unsupported error listing each one's name and kind, and
// nothing is written.
#pragma once

#include "vknn/engine/result.h"
#include "vknn/graph/graph.h"
#include "vknn/onnx/import.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vknn::onnx {

inline constexpr int64_t kExportOpset = 14;  // the first with HardSwish; the importer reads 9..17

struct ExportOptions {
  // Values of parameter and state tensors (e.g. Executor::read_weights of a checkpoint). A
  // tensor not given exports the values an executor made with `seed` starts with
  // (vknn::initial_values).
  std::vector<std::pair<TensorId, std::vector<float>>> values;
  uint64_t seed = 1;
  std::string producer_version;  // ModelProto's (producer_name is "vknn")
  std::string graph_name = "vknn";
  std::string doc;  // the model's doc_string (e.g. where the weights came from)
};

// The ONNX model of `g` as serialized bytes. `inputs` name the graph inputs (in order) and
// `outputs` the graph outputs, by their ONNX names (a resolved model's inputs and outputs).
// Errc::unsupported lists every node that cannot be written; Errc::invalid_argument for a
// graph with an error, a name given twice, or values of the wrong size.
Result<std::vector<uint8_t>> export_model(const Graph& g, std::span<const NamedTensor> inputs,
                                          std::span<const NamedTensor> outputs, const ExportOptions& options = {});

// The same written to `path` atomically (a temporary file beside it, renamed over it), so a
// failed export leaves no partial file and an earlier file at `path` stays as it was.
Status export_file(const std::filesystem::path& path, const Graph& g, std::span<const NamedTensor> inputs,
                   std::span<const NamedTensor> outputs, const ExportOptions& options = {});

}  // namespace vknn::onnx
