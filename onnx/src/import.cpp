// The import driver: parse, check the graph's structure (every input provided, no cycle),
// convert node by node in topological order, collect what cannot be imported, and finish the
// model (outputs, loss).
#include "importer.h"

#include "vknn/models/model.h"
#include "vknn/ops/reshape.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/defs/schema.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <climits>
#include <cstring>
#include <queue>

namespace vknn::onnx {
namespace {

// The shaders index elements with 32-bit integers, some of them signed (see
// models/by_name.h): a graph tensor stays below 2^30 elements.
constexpr int64_t kMaxGraphElements = int64_t(1) << 30;
constexpr int64_t kMinOpset = 9, kMaxOpset = 17;

Result<::onnx::ModelProto> parse(google::protobuf::io::CodedInputStream& in, const std::string& what) {
  in.SetRecursionLimit(64);  // graphs nest only through If/Loop bodies, which vknn refuses anyway
  ::onnx::ModelProto m;
  if (!m.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    return make_error(Errc::parse, "{}: not an ONNX model (the protobuf message does not parse: truncated or not "
                      "ONNX)", what);
  if (!m.has_graph() || m.ir_version() <= 0)
    return make_error(Errc::parse, "{}: not an ONNX model (no graph or no IR version)", what);
  return m;
}

// Read through one reused 1 MiB buffer, not mapped: the parser copies each tensor's bytes
// once either way, and a mapping would keep the whole file resident beside those copies (a
// 100 MB model twice at the peak). Closes fd.
Result<::onnx::ModelProto> parse_file(int fd, const std::string& what) {
  google::protobuf::io::FileInputStream file(fd, 1 << 20);
  file.SetCloseOnDelete(true);
  google::protobuf::io::CodedInputStream in(&file);
  auto parsed = parse(in, what);
  if (file.GetErrno() != 0) return make_error(Errc::io, "{}: reading failed: {}", what, std::strerror(file.GetErrno()));
  return parsed;
}

Status check_file_size(uint64_t size, const std::string& what) {
  if (size > uint64_t(INT_MAX))
    return make_error(Errc::unsupported,
                      "{}: {} bytes; a model file over 2 GiB must keep its weights in external data files", what, size);
  return {};
}

Result<int64_t> default_opset(const ::onnx::ModelProto& m, const std::string& what) {
  int64_t opset = -1;
  std::string others;
  for (const auto& o : m.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
    else others += (others.empty() ? "" : ", ") + o.domain();
  }
  if (opset < 0 && !others.empty())
    return make_error(Errc::unsupported, "{}: the model uses only the domains {}, none of which vknn imports", what,
                      others);
  if (opset < 0) return make_error(Errc::parse, "{}: no opset of the default ONNX domain is imported", what);
  if (opset < kMinOpset || opset > kMaxOpset)
    return make_error(Errc::unsupported, "{}: opset {} of the default domain; vknn imports opsets {} to {}", what,
                      opset, kMinOpset, kMaxOpset);
  return opset;
}

bool default_domain(const ::onnx::NodeProto& n) { return n.domain().empty() || n.domain() == "ai.onnx"; }

std::string node_label(const ::onnx::NodeProto& n, int index) {
  return fmt::format("node '{}' ({})", n.name().empty() ? fmt::format("#{}", index) : n.name(), n.op_type());
}

// The graph's nodes in an order where every node follows the producers of its inputs (file
// order where the file is sorted, as ONNX requires). Refuses a value produced twice, an
// input nothing provides, and a cycle.
Result<std::vector<const ::onnx::NodeProto*>> topological_order(const ::onnx::GraphProto& graph,
                                                                 const std::unordered_set<std::string>& provided,
                                                                 const std::string& what) {
  const int count = graph.node_size();
  std::unordered_map<std::string, int> producer;
  for (int k = 0; k < count; ++k)
    for (const std::string& o : graph.node(k).output()) {
      if (o.empty()) continue;
      if (provided.count(o))
        return make_error(Errc::parse, "{}: {} writes '{}', which is a graph input or initializer", what,
                          node_label(graph.node(k), k), o);
      if (auto [it, fresh] = producer.emplace(o, k); !fresh)
        return make_error(Errc::parse, "{}: value '{}' is written by both {} and {}", what, o,
                          node_label(graph.node(it->second), it->second), node_label(graph.node(k), k));
    }
  std::vector<int> pending(size_t(count), 0);
  std::vector<std::vector<int>> users(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k)
    for (const std::string& in : graph.node(k).input()) {
      if (in.empty() || provided.count(in)) continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return make_error(Errc::parse, "{}: {} reads '{}', which no node, graph input or initializer provides", what,
                          node_label(graph.node(k), k), in);
      ++pending[size_t(k)];
      users[size_t(it->second)].push_back(k);
    }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int k = 0; k < count; ++k)
    if (pending[size_t(k)] == 0) ready.push(k);
  std::vector<const ::onnx::NodeProto*> order;
  while (!ready.empty()) {
    const int k = ready.top();
    ready.pop();
    order.push_back(&graph.node(k));
    for (int u : users[size_t(k)])
      if (--pending[size_t(u)] == 0) ready.push(u);
  }
  if (int(order.size()) != count) {
    std::string cycle;
    int shown = 0;
    for (int k = 0; k < count && shown < 5; ++k)
      if (pending[size_t(k)] > 0) cycle += (shown++ ? ", " : "") + node_label(graph.node(k), k);
    return make_error(Errc::parse, "{}: the graph has a cycle; {} nodes wait on each other, among them {}", what,
                      count - int(order.size()), cycle);
  }
  return order;
}

// The graph inputs that are not initializers: fp32 tensors of a known shape at the chosen batch.
Status add_inputs(Importer& im, const ::onnx::GraphProto& graph, const std::unordered_set<std::string>& initializers,
                  ImportedModel& out, const std::string& what) {
  for (const auto& in : graph.input()) {
    const std::string& name = in.name();
    if (initializers.count(name)) continue;  // IR < 4 lists initializers among the inputs
    if (auto c = im.options.constant_inputs.find(name); c != im.options.constant_inputs.end()) {
      const ConstantInput& ci = c->second;
      VKNN_ASSIGN(const int64_t n, checked_numel(ci.dims, "constant input '" + name + "'"));
      const size_t have = ci.is_float ? ci.floats.size() : ci.ints.size();
      if (n != int64_t(have))
        return make_error(Errc::invalid_argument, "constant input '{}': {} values for shape {}", name, have,
                          dims_str(ci.dims));
      Value v;
      v.shape = ci.dims;
      v.constant = std::make_shared<const HostTensor>(ci.is_float ? HostTensor::floats(ci.dims, ci.floats)
                                                                  : HostTensor::ints(ci.dims, ci.ints));
      v.source = name;
      im.values[name] = std::move(v);
      continue;
    }
    if (!in.type().has_tensor_type())
      return make_error(Errc::unsupported, "{}: input '{}' is not a tensor", what, name);
    const auto& tt = in.type().tensor_type();
    if (tt.elem_type() != kFloat)
      return make_error(Errc::unsupported, "{}: input '{}' has element type {}; vknn takes FLOAT inputs", what, name,
                        onnx_type_name(tt.elem_type()));
    if (!tt.has_shape())
      return make_error(Errc::unsupported, "{}: input '{}' has no shape; vknn needs every input's rank and dims", what,
                        name);
    std::vector<int64_t> dims;
    for (int d = 0; d < tt.shape().dim_size(); ++d) {
      const auto& dim = tt.shape().dim(d);
      int64_t v = 0;
      if (d == 0 && im.options.batch > 0) {
        v = im.options.batch;
      } else if (dim.has_dim_value()) {
        v = dim.dim_value();
        if (v == 0)
          return make_error(Errc::unsupported, "{}: input '{}' dim {} is 0; vknn has no empty tensors", what, name, d);
        if (v < 0)
          return make_error(Errc::parse, "{}: input '{}' dim {} is {}; dims must be positive", what, name, d, v);
      } else if (dim.has_dim_param() && im.options.dims.count(dim.dim_param())) {
        v = im.options.dims.find(dim.dim_param())->second;
        if (v <= 0)
          return make_error(Errc::invalid_argument, "dim '{}' of input '{}' given as {}; dims must be positive",
                            dim.dim_param(), name, v);
      } else if (d == 0) {
        v = 1;  // options.batch == 0: a dynamic batch becomes 1
      } else {
        return make_error(Errc::invalid_argument,
                          "{}: input '{}' dim {} is dynamic ('{}'); give its value by name with the import options",
                          what, name, d, dim.dim_param());
      }
      dims.push_back(v);
    }
    VKNN_TRY(checked_numel(dims, fmt::format("{}: input '{}'", what, name)));
    TensorId id = im.g.input(name, Shape(dims));
    if (!id.valid()) return im.g.status().error();
    im.values[name] = Value{id, dims, nullptr, false, false, {}};
    out.inputs.push_back({name, id});
  }
  return {};
}

struct Fault {
  std::string node, op, reason;
};

// Converts every node; returns the nodes that cannot be imported (an error for a broken file).
Result<std::vector<Fault>> convert_nodes(Importer& im, const std::vector<const ::onnx::NodeProto*>& order,
                                         const std::string& what) {
  std::vector<Fault> faults;
  for (const ::onnx::NodeProto* np : order) {
    const ::onnx::NodeProto& n = *np;
    const int index = im.index.at(np);
    const std::string label = n.name().empty() ? fmt::format("#{}", index) : n.name();
    auto mark_unknown = [&] {
      for (const std::string& o : n.output())
        if (!o.empty()) im.values[o] = Value{{}, {}, nullptr, false, true, {}};
    };
    bool inputs_unknown = false;
    for (const std::string& in : n.input())
      if (!in.empty() && im.values.at(in).unknown) inputs_unknown = true;
    if (im.fused.count(np)) {  // a Relu its producer applies
      if (inputs_unknown) mark_unknown();
      else im.alias_output(n, 0, im.values.at(n.input(0)));
      continue;
    }
    const Converter* convert = default_domain(n) ? find_converter(n.op_type()) : nullptr;
    if (!convert) {
      faults.push_back({label, n.op_type(),
                        default_domain(n) ? "op type is not supported"
                                          : fmt::format("domain '{}' is not supported", n.domain())});
      mark_unknown();
      continue;
    }
    // Arity from ONNX's own schema of the op at the model's opset: converters read their
    // required inputs without asking whether the file gave them.
    if (const auto* schema = ::onnx::OpSchemaRegistry::Schema(n.op_type(), int(im.opset), "")) {
      for (int k = 0; k < schema->min_input(); ++k)
        if (!im.has_input(n, k))
          return make_error(Errc::parse, "{}: node '{}' ({}) has no input {}; opset {} requires {} to {}", what, label,
                            n.op_type(), k, im.opset, schema->min_input(), schema->max_input());
      if (n.input_size() > schema->max_input())
        return make_error(Errc::parse, "{}: node '{}' ({}) has {} inputs; opset {} allows {} to {}", what, label,
                          n.op_type(), n.input_size(), im.opset, schema->min_input(), schema->max_input());
    }
    Attrs attrs(n);
    im.dry = inputs_unknown;
    Status s = (*convert)(im, n, attrs);
    im.dry = false;
    if (!s.ok() && s.error().code != Errc::unsupported)
      return make_error(s.error().code, "{}: node '{}' ({}): {}", what, label, n.op_type(), s.error().message);
    if (!im.g.ok()) {
      const Error& e = im.g.status().error();
      if (e.code != Errc::unsupported)
        return make_error(e.code, "{}: node '{}' ({}): {}", what, label, n.op_type(), e.message);
      s = e;  // an integer tensor used as data: a limit of vknn, not a broken file
    }
    if (s.ok())
      if (const auto* a = attrs.unread())
        s = unsupported("attribute '{}' is not supported", a->name());
    if (s.ok() && !inputs_unknown)
      for (int k = 0; k < n.output_size(); ++k) {
        const std::string& o = n.output(k);
        if (o.empty() || im.values.count(o)) continue;
        if (im.consumers.count(o) || im.graph_outputs.count(o)) {
          s = unsupported("output {} ('{}') is not supported", k, o);
          break;
        }
      }
    if (!s.ok()) {
      faults.push_back({label, n.op_type(), s.error().message});
      mark_unknown();
      if (!im.g.ok()) return faults;  // the graph takes no more nodes: report what was found so far
      continue;
    }
    if (inputs_unknown) mark_unknown();
  }
  return faults;
}

// Marks each graph output Role::output in its ONNX shape (copying where the value is an input,
// a parameter, another output or held in another shape) and fills out.outputs.
Status add_outputs(Importer& im, const ::onnx::GraphProto& graph, ImportedModel& out, const std::string& what) {
  for (const auto& o : graph.output()) {
    auto it = im.values.find(o.name());
    if (it == im.values.end())
      return make_error(Errc::parse, "{}: graph output '{}' is not produced by any node", what, o.name());
    Value& v = it->second;
    TensorId id = v.id;
    if (!id.valid() && v.constant && !v.constant->is_float()) {
      // An output known at import (a shape): its values as floats, exact below 2^24.
      std::vector<float> f(v.constant->i.size());
      for (size_t k = 0; k < f.size(); ++k) {
        if (std::abs(v.constant->i[k]) > (int64_t(1) << 24))
          return make_error(Errc::unsupported, "{}: graph output '{}' holds the integer {}, which fp32 cannot hold",
                            what, o.name(), v.constant->i[k]);
        f[k] = float(v.constant->i[k]);
      }
      Value as_float = v;
      as_float.constant = std::make_shared<const HostTensor>(HostTensor::floats(v.constant->dims, std::move(f)));
      v = std::move(as_float);
    }
    if (!id.valid()) {
      VKNN_ASSIGN(id, im.value_tensor(o.name()));
    }
    const Role role = im.g.desc(id).role;
    bool shared = false;
    for (const auto& done : out.outputs) shared = shared || done.id == id;
    if (role != Role::activation || shared || im.g.shape(id).dims != v.shape) {
      id = reshape(im.g, id, Shape(v.shape), o.name() + ".output");
      if (!im.g.ok()) return im.g.status().error();
    }
    im.g.desc(id).role = Role::output;
    out.outputs.push_back({o.name(), id});
  }
  return {};
}

Status check_sizes(const Graph& g, const std::string& what) {
  for (const auto& d : g.tensors())
    if (d.shape.numel() >= kMaxGraphElements)
      return make_error(Errc::unsupported, "{}: tensor '{}' {} has {} elements; 2^30 or more is not supported", what,
                        d.name, d.shape.str(), d.shape.numel());
  return {};
}

// Consumes the initializers' raw data of `m`.
Result<ImportedModel> build(::onnx::ModelProto& m, const ImportOptions& options, ExternalData& external,
                            const std::string& what) {
  VKNN_ASSIGN(const int64_t opset, default_opset(m, what));
  const ::onnx::GraphProto& graph = m.graph();
  ImportedModel out;
  out.opset = opset;
  out.producer = m.producer_name() + (m.producer_version().empty() ? "" : " " + m.producer_version());
  Graph& g = out.model.graph;
  Importer im(g, options, opset, external);

  std::unordered_set<std::string> provided, initializers;
  for (const auto& t : graph.initializer()) {
    if (t.name().empty()) return make_error(Errc::parse, "{}: an initializer has no name", what);
    if (!initializers.insert(t.name()).second)
      return make_error(Errc::parse, "{}: two initializers are named '{}'", what, t.name());
  }
  for (const auto& in : graph.input()) provided.insert(in.name());
  provided.insert(initializers.begin(), initializers.end());
  im.reserved = provided;
  for (const auto& o : graph.output()) im.graph_outputs.insert(o.name());

  VKNN_ASSIGN(auto order, topological_order(graph, provided, what));
  for (int k = 0; k < graph.node_size(); ++k) {
    im.index[&graph.node(k)] = k;
    for (const std::string& in : graph.node(k).input())
      if (!in.empty()) im.consumers[in].push_back(&graph.node(k));
  }

  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (options.constant_inputs.count(t.name())) continue;
    VKNN_ASSIGN(HostTensor h, read_tensor(t, external, fmt::format("{}: initializer '{}'", what, t.name())));
    // The parsed bytes are copied now: free them as we go, so that the weights are held
    // once and not twice at the peak (nothing reads an initializer's TensorProto again).
    std::string().swap(*t.mutable_raw_data());
    Value v;
    v.shape = h.dims;
    v.constant = std::make_shared<const HostTensor>(std::move(h));
    v.initializer = true;
    v.source = t.name();
    im.values[t.name()] = std::move(v);
  }
  VKNN_TRY(add_inputs(im, graph, initializers, out, what));

  VKNN_ASSIGN(const std::vector<Fault> faults, convert_nodes(im, order, what));
  if (!faults.empty()) {
    std::string list;
    for (const Fault& f : faults) list += fmt::format("\n  node '{}' ({}): {}", f.node, f.op, f.reason);
    return make_error(Errc::unsupported, "{}: {} node{} cannot be imported:{}", what, faults.size(),
                      faults.size() == 1 ? "" : "s", list);
  }
  VKNN_TRY(add_outputs(im, graph, out, what));
  if (out.outputs.empty()) return make_error(Errc::parse, "{}: the graph has no outputs", what);

  models::Model& model = out.model;
  model.images = out.inputs.empty() ? TensorId{} : out.inputs[0].id;
  model.logits = out.outputs[0].id;
  if (!options.loss_output.empty()) {
    model.logits = {};
    for (const auto& o : out.outputs)
      if (o.name == options.loss_output) model.logits = o.id;
    if (!model.logits.valid())
      return make_error(Errc::invalid_argument, "{}: no graph output is named '{}'", what, options.loss_output);
  }
  if (options.training) {
    const Shape& s = g.shape(model.logits);
    if (s.rank() != 2)
      return make_error(Errc::invalid_argument,
                        "{}: the loss needs (N,classes) logits, but output '{}' is {}; name another with the loss output "
                        "option",
                        what, g.desc(model.logits).name, s.str());
    models::append_loss(model, options.label_smoothing);
  }
  VKNN_TRY(g.status());
  VKNN_TRY(check_sizes(g, what));
  return out;
}

}  // namespace

Result<ImportedModel> import_bytes(std::span<const std::byte> bytes, const ImportOptions& options,
                                   const std::string& what) {
  VKNN_TRY(check_file_size(bytes.size(), what));
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), int(bytes.size()));
  VKNN_ASSIGN(::onnx::ModelProto m, parse(in, what));
  ExternalData external(options.external_data_dir);
  return build(m, options, external, what);
}

Result<ImportedModel> import_file(const std::filesystem::path& path, const ImportOptions& options) {
  const std::string what = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, "{}: cannot open: {}", what, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(Errc::io, "{}: not a regular file", what);
  }
  if (Status s = check_file_size(uint64_t(st.st_size), what); !s.ok()) {
    ::close(fd);
    return s.error();
  }
  auto parsed = parse_file(fd, what);
  if (!parsed.ok()) return parsed.error();
  ImportOptions opt = options;
  if (opt.external_data_dir.empty()) {
    opt.external_data_dir = path.parent_path();
    if (opt.external_data_dir.empty()) opt.external_data_dir = ".";
  }
  ExternalData external(opt.external_data_dir);
  return build(parsed.value(), opt, external, what);
}

bool is_onnx_path(const std::string& name) {
  return name.size() > 5 && name.compare(name.size() - 5, 5, ".onnx") == 0;
}

}  // namespace vknn::onnx
