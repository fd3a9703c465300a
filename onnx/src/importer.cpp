#include "importer.h"

#include "vknn/ops/reshape.h"

namespace vknn::onnx {

// ---------------------------------------------------------------------------- attributes

Attrs::Attrs(const ::onnx::NodeProto& n) : n_(n) {}

const ::onnx::AttributeProto* Attrs::find(std::string_view name, int type) const {
  for (const auto& a : n_.attribute()) {
    if (a.name() != name) continue;
    read_.insert(a.name());
    // A type of 0 (UNDEFINED) in files older than IR 3 is told by which field is set.
    if (a.type() != type && a.type() != ::onnx::AttributeProto::UNDEFINED) return nullptr;
    return &a;
  }
  return nullptr;
}

bool Attrs::has(std::string_view name) const {
  for (const auto& a : n_.attribute())
    if (a.name() == name) return true;
  return false;
}

namespace {
Error wrong_type(const ::onnx::NodeProto& n, std::string_view name, const char* want) {
  return make_error(Errc::parse, "attribute '{}' of node '{}' ({}) is not {}", name, n.name(), n.op_type(), want);
}
}  // namespace

Result<int64_t> Attrs::i(std::string_view name, int64_t fallback) const {
  if (!has(name)) return fallback;
  const auto* a = find(name, ::onnx::AttributeProto::INT);
  if (!a) return wrong_type(n_, name, "an integer");
  return a->i();
}

Result<float> Attrs::f(std::string_view name, float fallback) const {
  if (!has(name)) return fallback;
  const auto* a = find(name, ::onnx::AttributeProto::FLOAT);
  if (!a) return wrong_type(n_, name, "a float");
  return a->f();
}

Result<std::string> Attrs::s(std::string_view name, std::string fallback) const {
  if (!has(name)) return fallback;
  const auto* a = find(name, ::onnx::AttributeProto::STRING);
  if (!a) return wrong_type(n_, name, "a string");
  return a->s();
}

Result<std::vector<int64_t>> Attrs::ints(std::string_view name, std::vector<int64_t> fallback) const {
  if (!has(name)) return fallback;
  const auto* a = find(name, ::onnx::AttributeProto::INTS);
  if (!a) return wrong_type(n_, name, "a list of integers");
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Result<std::vector<float>> Attrs::floats(std::string_view name) const {
  const auto* a = find(name, ::onnx::AttributeProto::FLOATS);
  if (!a) return wrong_type(n_, name, "a list of floats");
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

const ::onnx::TensorProto* Attrs::tensor(std::string_view name) const {
  const auto* a = find(name, ::onnx::AttributeProto::TENSOR);
  return a ? &a->t() : nullptr;
}

const ::onnx::AttributeProto* Attrs::unread() const {
  for (const auto& a : n_.attribute())
    if (!read_.count(a.name())) return &a;
  return nullptr;
}

// ---------------------------------------------------------------------------- values

const Value& Importer::input(const ::onnx::NodeProto& n, int k) const {
  VKNN_CHECK(!dry, "converter of '{}' read input {} in a dry run", n.name(), k);
  VKNN_CHECK(has_input(n, k), "converter of '{}' read absent input {}", n.name(), k);
  return values.at(n.input(k));  // import.cpp checked every input exists
}

Result<std::shared_ptr<const HostTensor>> Importer::constant(const ::onnx::NodeProto& n, int k,
                                                             const char* role) const {
  if (!has_input(n, k))
    return make_error(Errc::parse, "node '{}' ({}) has no input {} (the {})", n.name(), n.op_type(), k, role);
  const Value& v = input(n, k);
  if (!v.constant)
    return unsupported("input {} ('{}', the {}) must be known at import, but it is computed at run time", k,
                       n.input(k), role);
  return v.constant;
}

bool Importer::foldable(const Value& v) const {
  return v.constant && !(options.training && v.initializer && v.constant->is_float());
}

TensorId Importer::materialize(const std::string& value_name, Value& v) {
  if (v.id.valid()) return v.id;
  const HostTensor& c = *v.constant;
  if (!c.is_float()) {
    (void)g.refuse(unsupported("integer tensor '{}' {} is used as data; vknn computes in fp32 only", value_name,
                               dims_str(c.dims)));
    return {};
  }
  if (c.numel() == 0) {
    (void)g.refuse(unsupported("tensor '{}' {} is empty; vknn has no empty tensors", value_name, dims_str(c.dims)));
    return {};
  }
  const std::string& pname = v.source.empty() ? value_name : v.source;
  if (auto it = parameters.find(pname); it != parameters.end()) return v.id = it->second;
  // Initializers train; values of Constant nodes and folded computations stay as they are.
  v.id = g.parameter(pname, Shape(c.dims), Init::values(c.f), !v.initializer);
  parameters[pname] = v.id;
  return v.id;
}

Result<TensorId> Importer::raw_tensor(const ::onnx::NodeProto& n, int k) {
  VKNN_CHECK(!dry, "converter of '{}' read input {} in a dry run", n.name(), k);
  if (!has_input(n, k)) return make_error(Errc::parse, "node '{}' ({}) has no input {}", n.name(), n.op_type(), k);
  return value_tensor(n.input(k));
}

Result<TensorId> Importer::value_tensor(const std::string& value_name) {
  Value& v = values.at(value_name);
  TensorId id = materialize(value_name, v);
  if (!id.valid()) return g.status().ok() ? make_error(Errc::invalid_argument, "'{}' is not a tensor", value_name)
                                          : g.status().error();
  return id;
}

Result<TensorId> Importer::tensor(const ::onnx::NodeProto& n, int k, const std::vector<int64_t>& as) {
  VKNN_ASSIGN(TensorId id, raw_tensor(n, k));
  const Value& v = values.at(n.input(k));
  const std::vector<int64_t>& want = as.empty() ? v.shape : as;
  if (g.shape(id).dims == want) return id;
  // The same element order under the shape the consumer expects: one copy, made once per
  // (value, shape).
  const std::string key = n.input(k) + "@" + dims_str(want);
  if (auto it = values.find(key); it != values.end()) return it->second.id;
  TensorId r = reshape(g, id, Shape(want), name(n, "reshape_in" + std::to_string(k)));
  if (!g.ok()) return g.status().error();
  values[key] = Value{r, want, nullptr, false, false};
  return r;
}

void Importer::set_output(const ::onnx::NodeProto& n, int k, TensorId id, std::vector<int64_t> shape) {
  if (k >= n.output_size() || n.output(k).empty()) return;
  values[n.output(k)] = Value{id, std::move(shape), nullptr, false, false};
}

void Importer::set_output(const ::onnx::NodeProto& n, int k, TensorId id) {
  if (!id.valid()) return;  // the graph refused: import reports g.status()
  set_output(n, k, id, dims(id));
}

void Importer::set_constant(const ::onnx::NodeProto& n, int k, HostTensor t) {
  if (k >= n.output_size() || n.output(k).empty()) return;
  Value v;
  v.shape = t.dims;
  v.constant = std::make_shared<const HostTensor>(std::move(t));
  v.source = n.output(k);
  values[n.output(k)] = std::move(v);
}

void Importer::alias_output(const ::onnx::NodeProto& n, int k, const Value& v) {
  if (k >= n.output_size() || n.output(k).empty()) return;
  values[n.output(k)] = v;  // an Identity of an initializer is still that initializer's parameter
}

std::string Importer::name(const ::onnx::NodeProto& n, std::string_view suffix) const {
  std::string base = n.name().empty() ? fmt::format("{}_{}", n.op_type(), index.count(&n) ? index.at(&n) : 0)
                                      : n.name();
  if (!suffix.empty()) base += "." + std::string(suffix);
  auto taken = [&](const std::string& s) {
    return reserved.count(s) || g.find(s).valid() || g.unique_name(s) != s;
  };
  if (!taken(base)) return base;
  for (int i = 1;; ++i)
    if (std::string s = fmt::format("{}_{}", base, i); !taken(s)) return s;
}

bool Importer::can_fuse_relu(const ::onnx::NodeProto& n) const {
  if (n.output_size() < 1 || graph_outputs.count(n.output(0))) return false;
  auto it = consumers.find(n.output(0));
  if (it == consumers.end() || it->second.size() != 1) return false;
  const ::onnx::NodeProto& c = *it->second[0];
  return c.op_type() == "Relu" && (c.domain().empty() || c.domain() == "ai.onnx") && c.input_size() == 1;
}

void Importer::fuse_relu(const ::onnx::NodeProto& n) { fused.insert(consumers.at(n.output(0))[0]); }

// ---------------------------------------------------------------------------- converters

const Converter* find_converter(const std::string& op_type) {
  static const std::unordered_map<std::string, Converter> table = [] {
    std::unordered_map<std::string, Converter> t;
    register_shape_ops(t);
    register_nn_ops(t);
    register_tensor_ops(t);
    register_elementwise_ops(t);
    register_matmul_ops(t);
    return t;
  }();
  auto it = table.find(op_type);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace vknn::onnx
