// The importer's state while it walks a model's nodes, and the interface the op converters
// (ops_*.cpp) use. Private to vknn_onnx.
#pragma once

#include "host_tensor.h"
#include "vknn/onnx/import.h"

#include <onnx/onnx_pb.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace vknn::onnx {

// One ONNX value (a node output, graph input or initializer) as the importer knows it.
struct Value {
  TensorId id;                 // a tensor of the graph (invalid for a constant)
  std::vector<int64_t> shape;  // its ONNX shape; the graph tensor may hold the same elements in
                               // another shape (a Flatten needs no copy), see Importer::tensor
  std::shared_ptr<const HostTensor> constant;  // known at import
  bool initializer = false;    // a constant from the initializer list: a trainable parameter
  bool unknown = false;        // the output of a node that could not be imported
  std::string source;          // a constant's own name: its parameter's name, shared by its aliases
};

// Attribute access with type checks; remembers which attributes a converter read so that any
// other one is reported as unsupported.
class Attrs {
 public:
  explicit Attrs(const ::onnx::NodeProto& n);
  bool has(std::string_view name) const;
  Result<int64_t> i(std::string_view name, int64_t fallback) const;
  Result<float> f(std::string_view name, float fallback) const;
  Result<std::string> s(std::string_view name, std::string fallback) const;
  Result<std::vector<int64_t>> ints(std::string_view name, std::vector<int64_t> fallback = {}) const;
  Result<std::vector<float>> floats(std::string_view name) const;
  const ::onnx::TensorProto* tensor(std::string_view name) const;
  // The first attribute no accessor asked for, or null.
  const ::onnx::AttributeProto* unread() const;

 private:
  const ::onnx::AttributeProto* find(std::string_view name, int type) const;
  const ::onnx::NodeProto& n_;
  mutable std::unordered_set<std::string> read_;
};

class Importer {
 public:
  Importer(Graph& graph, const ImportOptions& opts, int64_t default_opset, ExternalData& data)
      : g(graph), options(opts), opset(default_opset), external(data) {}

  Graph& g;
  const ImportOptions& options;
  const int64_t opset;
  ExternalData& external;

  // A node's inputs. Optional inputs may be absent (index past the end or an empty name).
  bool has_input(const ::onnx::NodeProto& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }
  const Value& input(const ::onnx::NodeProto& n, int k) const;
  const std::vector<int64_t>& shape(const ::onnx::NodeProto& n, int k) const { return input(n, k).shape; }
  // The input's value when known at import, or an Errc::unsupported error naming it ("input
  // 'shape' must be known at import").
  Result<std::shared_ptr<const HostTensor>> constant(const ::onnx::NodeProto& n, int k, const char* role) const;
  // Whether an elementwise op on v may be computed at import: v is known, and it is not a
  // weight that trains. In a model imported for training (ImportOptions::training) a float
  // initializer keeps its own parameter, and ops on it run in the graph so that its gradient
  // reaches it; folding would freeze the value.
  bool foldable(const Value& v) const;
  // The input as a graph tensor of its ONNX shape (or `as`, same element count): a constant
  // becomes a parameter (see Value), a tensor of another shape is reshaped.
  Result<TensorId> tensor(const ::onnx::NodeProto& n, int k, const std::vector<int64_t>& as = {});
  // The input as the graph tensor it already is, whatever its shape there.
  Result<TensorId> raw_tensor(const ::onnx::NodeProto& n, int k);
  // The same for a value by name.
  Result<TensorId> value_tensor(const std::string& value_name);

  void set_output(const ::onnx::NodeProto& n, int k, TensorId id, std::vector<int64_t> shape);
  void set_output(const ::onnx::NodeProto& n, int k, TensorId id);  // its graph shape
  void set_constant(const ::onnx::NodeProto& n, int k, HostTensor t);
  void alias_output(const ::onnx::NodeProto& n, int k, const Value& v);

  // A fresh name for the node's graph node(s): its ONNX name (or op type and index).
  std::string name(const ::onnx::NodeProto& n, std::string_view suffix = {}) const;
  // Whether output 0 of `n` feeds exactly one node, a Relu, and is no graph output: then the
  // converter fuses the ReLU (conv2d/batchnorm with relu) and calls fuse_relu() so that the
  // Relu node becomes an alias.
  bool can_fuse_relu(const ::onnx::NodeProto& n) const;
  void fuse_relu(const ::onnx::NodeProto& n);

  // The graph-tensor shape as ONNX dims.
  std::vector<int64_t> dims(TensorId t) const { return g.shape(t).dims; }

  // Set by import before converting a node whose inputs are unknown: the converter checks
  // its attributes and returns before touching its inputs (see converters.h).
  bool dry = false;

  // --- driven by import.cpp
  std::unordered_map<std::string, Value> values;
  std::unordered_map<std::string, std::vector<const ::onnx::NodeProto*>> consumers;
  std::unordered_set<std::string> graph_outputs;
  std::unordered_set<std::string> reserved;  // initializer and input names: no builder may take them
  std::unordered_set<const ::onnx::NodeProto*> fused;  // Relu nodes folded into their producer
  // Zero padding of H and W (top, left, bottom, right) that a Pad node hands to its only
  // consumer, a Conv or an AveragePool that counts padding, to add to its own pads.
  std::unordered_map<const ::onnx::NodeProto*, std::array<int64_t, 4>> extra_pads;
  std::unordered_map<const ::onnx::NodeProto*, int> index;  // node -> position, for names
  std::unordered_map<std::string, TensorId> parameters;      // Value::source -> its parameter

 private:
  TensorId materialize(const std::string& value_name, Value& v);
};

// An Errc::unsupported error: the converter cannot import the node as it is.
template <class... Args>
Error unsupported(fmt::format_string<Args...> f, Args&&... args) {
  return make_error(Errc::unsupported, f, std::forward<Args>(args)...);
}

// Converts one node: reads and checks its attributes, returns early when im.dry, then adds
// graph nodes (or folds the node into constants) and sets its outputs.
using Converter = std::function<Status(Importer& im, const ::onnx::NodeProto& n, const Attrs& a)>;
// The converter of an op type of the default domain, or null.
const Converter* find_converter(const std::string& op_type);

// Registration, one call per ops_*.cpp file (a static table per file).
void register_shape_ops(std::unordered_map<std::string, Converter>& table);
void register_nn_ops(std::unordered_map<std::string, Converter>& table);
void register_tensor_ops(std::unordered_map<std::string, Converter>& table);
void register_elementwise_ops(std::unordered_map<std::string, Converter>& table);
void register_matmul_ops(std::unordered_map<std::string, Converter>& table);

}  // namespace vknn::onnx
