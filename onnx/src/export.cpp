// ONNX export (vknn/onnx/export.h): the model, its inputs, outputs and weights. The nodes
// are written by export_ops.cpp, one converter per vknn op kind, through the Writer.
#include "vknn/onnx/export.h"

#include "export_writer.h"
#include "vknn/engine/file.h"
#include "vknn/graph/executor.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <map>
#include <set>

namespace vknn::onnx {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");

Writer::Writer(const Graph& g, ::onnx::GraphProto& gp) : g_(g), gp_(gp), names_(g.tensors().size()) {
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    names_[i] = g.tensors()[i].name;
    used_.insert(names_[i]);
  }
  outputs_.assign(g.tensors().size(), false);
}

std::string Writer::fresh(const std::string& base) {
  std::string n = base;
  for (int k = 1; used_.count(n); ++k) n = fmt::format("{}_{}", base, k);
  used_.insert(n);
  return n;
}

Status Writer::name_io(TensorId t, const std::string& name, bool output) {
  if (name.empty()) return make_error(Errc::invalid_argument, "export: graph {} '{}' has an empty name",
                                      output ? "output" : "input", g_.desc(t).name);
  if (name != names_[size_t(t.index)]) {
    if (used_.count(name))
      return make_error(Errc::invalid_argument, "export: graph {} '{}' has the name of another tensor of the graph",
                        output ? "output" : "input", name);
    used_.insert(name);
    names_[size_t(t.index)] = name;
  }
  if (output) outputs_[size_t(t.index)] = true;
  return {};
}

void Writer::alias(TensorId y, TensorId x, const std::string& node_name) {
  // A graph output keeps its own name: an Identity node writes it.
  if (outputs_[size_t(y.index)]) {
    node("Identity", node_name, {value(x)}, {value(y)});
    return;
  }
  names_[size_t(y.index)] = names_[size_t(x.index)];
}

::onnx::NodeProto& Writer::node(const char* op, const std::string& name, std::vector<std::string> in,
                                std::vector<std::string> out) {
  ::onnx::NodeProto* n = gp_.add_node();
  n->set_op_type(op);
  std::string nn = name;
  for (int k = 1; node_names_.count(nn); ++k) nn = fmt::format("{}_{}", name, k);
  node_names_.insert(nn);
  n->set_name(nn);
  for (auto& s : in) n->add_input(std::move(s));
  for (auto& s : out) n->add_output(std::move(s));
  return *n;
}

std::string Writer::ints(const std::string& base, const std::vector<int64_t>& v) {
  const std::string name = fresh(base);
  ::onnx::NodeProto& c = node("Constant", name, {}, {name});
  ::onnx::AttributeProto* a = c.add_attribute();
  a->set_name("value");
  a->set_type(::onnx::AttributeProto::TENSOR);
  ::onnx::TensorProto* t = a->mutable_t();
  t->set_data_type(::onnx::TensorProto::INT64);
  t->add_dims(int64_t(v.size()));
  for (int64_t e : v) t->add_int64_data(e);
  return name;
}

std::string Writer::floats(const std::string& base, const std::vector<int64_t>& dims, std::span<const float> v,
                           bool exact_name) {
  const std::string name = exact_name ? base : fresh(base);
  ::onnx::NodeProto& c = node("Constant", name, {}, {name});
  ::onnx::AttributeProto* a = c.add_attribute();
  a->set_name("value");
  a->set_type(::onnx::AttributeProto::TENSOR);
  fill_tensor(*a->mutable_t(), "", dims, v);
  return name;
}

void fill_tensor(::onnx::TensorProto& t, const std::string& name, const std::vector<int64_t>& dims,
                 std::span<const float> v) {
  if (!name.empty()) t.set_name(name);
  t.set_data_type(::onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size_bytes()));
}

void attr_i(::onnx::NodeProto& n, const char* name, int64_t v) {
  ::onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INT);
  a->set_i(v);
}

void attr_f(::onnx::NodeProto& n, const char* name, float v) {
  ::onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void attr_ints(::onnx::NodeProto& n, const char* name, const std::vector<int64_t>& v) {
  ::onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (int64_t e : v) a->add_ints(e);
}

namespace {

constexpr int64_t kIrVersion = 7;  // ONNX 1.9's IR version, which carries opset 14

bool weight_role(const TensorDesc& d) { return d.role == Role::parameter || d.role == Role::state; }

// Whether the inference pass runs node n (the forward nodes, less the training-only ones).
bool inference_node(const Node& n) { return n.phase == Phase::forward && !n.op->training_only(); }

void value_info(::onnx::ValueInfoProto& v, const std::string& name, const Shape& s, bool symbolic_batch) {
  v.set_name(name);
  ::onnx::TypeProto_Tensor* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(::onnx::TensorProto::FLOAT);
  ::onnx::TensorShapeProto* shape = t->mutable_shape();
  for (size_t k = 0; k < s.dims.size(); ++k) {
    ::onnx::TensorShapeProto_Dimension* d = shape->add_dim();
    if (k == 0 && symbolic_batch)
      d->set_dim_param("N");
    else
      d->set_dim_value(s.dims[k]);
  }
}

// The parameter and state tensors the inference nodes read (batch norm's running statistics
// are its outputs 3 and 4: read, and in training written).
std::vector<TensorId> weights_used(const Graph& g) {
  std::set<int32_t> seen;
  std::vector<TensorId> used;
  auto note = [&](TensorId t) {
    if (weight_role(g.desc(t)) && seen.insert(t.index).second) used.push_back(t);
  };
  for (const Node& n : g.nodes()) {
    if (!inference_node(n)) continue;
    for (TensorId t : n.inputs) note(t);
    for (TensorId t : n.outputs) note(t);
  }
  return used;
}

// The weights as the file gets them: given values, or the seed's initial ones.
Status write_weights(Writer& w, const Graph& g, const std::vector<TensorId>& used, const ExportOptions& o,
                     ::onnx::GraphProto& gp) {
  std::map<int32_t, const std::vector<float>*> given;
  for (const auto& [t, v] : o.values) {
    if (!t.valid() || size_t(t.index) >= g.tensors().size() || !weight_role(g.desc(t)))
      return make_error(Errc::invalid_argument, "export: value #{} is not a parameter or state tensor of the graph",
                        t.index);
    if (int64_t(v.size()) != g.shape(t).numel())
      return make_error(Errc::invalid_argument, "export: {} values given for '{}' {}", v.size(), g.desc(t).name,
                        g.shape(t).str());
    given[t.index] = &v;
  }
  // A tensor's values: given, else the seed's initial ones.
  auto values_of = [&](TensorId t, std::vector<float>& initial) {
    auto it = given.find(t.index);
    if (it != given.end()) return std::span<const float>(*it->second);
    initial = initial_values(g.desc(t), o.seed);
    return std::span<const float>(initial);
  };
  for (TensorId t : used) {
    const TensorDesc& d = g.desc(t);
    std::vector<float> initial;
    std::span<const float> v;
    if (d.slice_of.valid() && !given.count(t.index)) {
      // A piece of a tensor split across targets (placement.h): its share of the whole's values.
      v = values_of(d.slice_of, initial).subspan(size_t(d.slice_offset), size_t(d.shape.numel()));
    } else {
      v = values_of(t, initial);
    }
    if (d.role == Role::parameter && d.frozen)
      w.floats(w.value(t), d.shape.dims, v, true);  // a Constant node: the importer freezes it again
    else
      fill_tensor(*gp.add_initializer(), w.value(t), d.shape.dims, v);
  }
  return {};
}

}  // namespace

Result<std::vector<uint8_t>> export_model(const Graph& g, std::span<const NamedTensor> inputs,
                                          std::span<const NamedTensor> outputs, const ExportOptions& options) {
  if (!g.ok()) return make_error(Errc::invalid_argument, "export: the graph has an error: {}", g.status().error().message);
  if (outputs.empty()) return make_error(Errc::invalid_argument, "export: the model has no output");
  for (const NamedTensor& t : inputs)
    if (!t.id.valid() || size_t(t.id.index) >= g.tensors().size() || g.desc(t.id).role != Role::input ||
        g.desc(t.id).dtype != DType::f32)
      return make_error(Errc::invalid_argument, "export: '{}' is not an fp32 input of the graph", t.name);
  ::onnx::ModelProto m;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("vknn");
  m.set_producer_version(options.producer_version);
  if (!options.doc.empty()) m.set_doc_string(options.doc);
  ::onnx::OperatorSetIdProto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kExportOpset);
  ::onnx::GraphProto& gp = *m.mutable_graph();
  gp.set_name(options.graph_name);

  Writer w(g, gp);
  for (const NamedTensor& t : inputs) VKNN_TRY(w.name_io(t.id, t.name, false));
  for (const NamedTensor& t : outputs) {
    if (!t.id.valid() || size_t(t.id.index) >= g.tensors().size())
      return make_error(Errc::invalid_argument, "export: output '{}' is not a tensor of the graph", t.name);
    VKNN_TRY(w.name_io(t.id, t.name, true));
  }
  const std::vector<TensorId> used = weights_used(g);
  VKNN_TRY(write_weights(w, g, used, options, gp));

  std::vector<std::string> refused;
  for (const Node& n : g.nodes()) {
    if (n.phase == Phase::forward && n.op->training_only()) continue;
    if (n.phase == Phase::backward || n.phase == Phase::update) continue;  // a training graph's; not inference
    const bool in_place = std::any_of(n.outputs.begin(), n.outputs.end(),
                                      [&](TensorId t) { return g.desc(t).channel_slice_of.valid(); });
    Status s = n.phase == Phase::prepare || in_place
                   ? make_error(Errc::unsupported, "{} of the inference-graph optimizer (export the graph as built, "
                                                   "before optimize_for_inference)",
                                in_place ? "a write into a concat's output" : "a prepare node")
                   : convert_node(w, n);
    if (!s.ok()) refused.push_back(fmt::format("node '{}' ({}): {}", n.name, n.op->type(), s.error().message));
  }
  if (!refused.empty()) {
    std::string list;
    for (const std::string& r : refused) list += "\n  " + r;
    return make_error(Errc::unsupported, "{} node{} cannot be exported to ONNX:{}", refused.size(),
                      refused.size() == 1 ? "" : "s", list);
  }
  for (const NamedTensor& t : outputs)
    if (g.desc(t.id).producer < 0 && g.desc(t.id).role != Role::input)
      return make_error(Errc::invalid_argument, "export: output '{}' is written by no node", t.name);

  const bool symbolic = !w.batch_fixed();
  for (const NamedTensor& t : inputs) value_info(*gp.add_input(), w.value(t.id), g.shape(t.id), symbolic);
  for (const NamedTensor& t : outputs) value_info(*gp.add_output(), t.name, g.shape(t.id), symbolic);

  const size_t bytes = m.ByteSizeLong();
  if (bytes > size_t(INT_MAX))
    return make_error(Errc::unsupported, "export: the model is {} bytes; files over 2 GiB (external data) are not "
                                         "written",
                      bytes);
  std::vector<uint8_t> out(bytes);
  if (!m.SerializeToArray(out.data(), int(bytes)))
    return make_error(Errc::io, "export: protobuf could not serialize the model");
  return out;
}

Status export_file(const std::filesystem::path& path, const Graph& g, std::span<const NamedTensor> inputs,
                   std::span<const NamedTensor> outputs, const ExportOptions& options) {
  VKNN_ASSIGN(std::vector<uint8_t> bytes, export_model(g, inputs, outputs, options));
  return write_file_atomic(path, bytes);
}

}  // namespace vknn::onnx
