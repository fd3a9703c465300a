// The exporter's state while it walks a graph's nodes, and the interface the node converters
// (export_ops.cpp) use. Private to vknn_onnx.
#pragma once

#include "vknn/graph/graph.h"

#include <onnx/onnx_pb.h>

#include <span>
#include <string>
#include <unordered_set>
#include <vector>

namespace vknn::onnx {

class Writer {
 public:
  Writer(const Graph& g, ::onnx::GraphProto& gp);
  const Graph& graph() const { return g_; }

  // A tensor's ONNX value name: its vknn name, a graph input's or output's given name, or
  // the value it is an alias of.
  const std::string& value(TensorId t) const { return names_[size_t(t.index)]; }
  // Gives a graph input or output its ONNX name (refused when another tensor has it).
  Status name_io(TensorId t, const std::string& name, bool output);
  // y is x (a node left out: dropout); a graph output gets an Identity node instead.
  void alias(TensorId y, TensorId x, const std::string& node_name);
  // A value name no tensor and no earlier fresh() has: base, base_1, ...
  std::string fresh(const std::string& base);

  // Appends a node (in graph order, so a converter adds its nodes producer first). Node
  // names are made unique the same way as values.
  ::onnx::NodeProto& node(const char* op, const std::string& name, std::vector<std::string> in,
                          std::vector<std::string> out);
  // A Constant node holding a 1-D int64 tensor (a shape, split sizes) or a float tensor;
  // returns its value name (fresh from base, or base itself when exact_name).
  std::string ints(const std::string& base, const std::vector<int64_t>& v);
  std::string floats(const std::string& base, const std::vector<int64_t>& dims, std::span<const float> v,
                     bool exact_name = false);

  // A reshape that does not keep the first dimension: the file is then fixed at the graph's
  // batch (no symbolic "N").
  void fix_batch() { batch_fixed_ = true; }
  bool batch_fixed() const { return batch_fixed_; }

 private:
  const Graph& g_;
  ::onnx::GraphProto& gp_;
  std::vector<std::string> names_;
  std::vector<bool> outputs_;
  std::unordered_set<std::string> used_, node_names_;
  bool batch_fixed_ = false;
};

// A float tensor (raw little-endian data).
void fill_tensor(::onnx::TensorProto& t, const std::string& name, const std::vector<int64_t>& dims,
                 std::span<const float> v);
void attr_i(::onnx::NodeProto& n, const char* name, int64_t v);
void attr_f(::onnx::NodeProto& n, const char* name, float v);
void attr_ints(::onnx::NodeProto& n, const char* name, const std::vector<int64_t>& v);

// Writes the ONNX node(s) of one forward vknn node, or an Errc::unsupported error saying why
// it cannot (export.cpp collects every one before refusing).
Status convert_node(Writer& w, const Node& n);

}  // namespace vknn::onnx
