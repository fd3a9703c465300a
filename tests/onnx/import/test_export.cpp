// ONNX export without a device: what the file holds (opset, IR version, initializers under
// the vknn names, a symbolic batch, every op kind the built-in models use, imported back to
// the same structure), the refusal that lists every node it cannot write, and bad arguments.
// The numbers of a round trip are checked on the device (tests/onnx/test_export.cpp).
#include "import_checks.h"

#include "vknn/graph/executor.h"
#include "vknn/graph/optimize.h"
#include "vknn/onnx/export.h"
#include "vknn/onnx/resolve.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/pad.h"
#include "vknn/ops/relu.h"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <set>

namespace vknn::test {
namespace {

onnx::ResolvedModel resolved(const std::string& name, bool training = false, int64_t input_size = 0,
                             double width = 1.0) {
  onnx::ModelRequest r;
  r.options.name = name;
  r.options.training = training;
  r.options.input_size = input_size;
  r.options.width = width;
  auto m = onnx::resolve_model(r);
  REQUIRE_MESSAGE(m.ok(), m.error().what());
  return std::move(*m);
}

::onnx::ModelProto exported(const onnx::ResolvedModel& m, const onnx::ExportOptions& o = {}) {
  auto bytes = onnx::export_model(m.model.graph, m.inputs, m.outputs, o);
  REQUIRE_MESSAGE(bytes.ok(), bytes.error().what());
  ::onnx::ModelProto p;
  REQUIRE(p.ParseFromArray(bytes->data(), int(bytes->size())));
  return p;
}

// ReLU nodes plus ReLUs fused into a convolution, batch norm or linear node (the importer
// fuses a Relu into the node before it where it can; vknn's builders fuse some, not all).
int relus(const Graph& g) {
  int c = 0;
  for (const Node& n : g.nodes()) {
    if (n.phase != Phase::forward) continue;
    if (is_relu(n)) ++c;
    if (const auto* p = conv2d_params(n)) c += p->relu;
    if (const auto* p = batchnorm_params(n)) c += p->relu;
    if (const auto* p = linear_params(n)) c += p->relu;
  }
  return c;
}

std::map<std::string, int> op_counts(const ::onnx::ModelProto& p) {
  std::map<std::string, int> c;
  for (const auto& n : p.graph().node()) ++c[n.op_type()];
  return c;
}

}  // namespace

TEST_CASE("export writes opset 14, IR 7, initializers under the vknn names and a symbolic batch") {
  const auto m = resolved("lenet");
  const auto p = exported(m);
  CHECK(p.ir_version() == 7);
  REQUIRE(p.opset_import_size() == 1);
  CHECK(p.opset_import(0).domain().empty());
  CHECK(p.opset_import(0).version() == onnx::kExportOpset);
  CHECK(p.producer_name() == "vknn");
  std::set<std::string> inits, params;
  for (const auto& t : p.graph().initializer()) inits.insert(t.name());
  for (TensorId t : m.model.graph.parameters()) params.insert(m.model.graph.desc(t).name);
  CHECK(inits == params);
  REQUIRE(p.graph().input_size() == 1);
  CHECK(p.graph().input(0).name() == "images");
  const auto& in = p.graph().input(0).type().tensor_type().shape();
  REQUIRE(in.dim_size() == 4);
  CHECK(in.dim(0).dim_param() == "N");
  CHECK(in.dim(2).dim_value() == 28);
  REQUIRE(p.graph().output_size() == 1);
  CHECK(p.graph().output(0).type().tensor_type().shape().dim(0).dim_param() == "N");
  // conv1/conv2 with fused ReLUs, two pools, a flatten, fc1 with its ReLU, fc2
  const auto ops = op_counts(p);
  CHECK(ops.at("Conv") == 2);
  CHECK(ops.at("Relu") == 3);
  CHECK(ops.at("MaxPool") == 2);
  CHECK(ops.at("Reshape") == 1);
  CHECK(ops.at("Gemm") == 2);
}

TEST_CASE("export of every built-in model imports back to the same op kinds and parameter names") {
  // alexnet (two columns: split, concat, LRN, dropout, transfers), cifar-resnet20 (batch
  // norm, residual adds, global pooling, channel_pad shortcuts), cifar-plain20, lenet (max
  // pooling). AlexNet at a quarter of its width and 67x67 keeps this quick (the op kinds do
  // not depend on either); the ImageNet ResNets have no other kinds and take their time on
  // the device (tests/onnx/test_export.cpp).
  struct Case {
    std::string name;
    int64_t size;
    double width;
  };
  const Case models[] = {{"lenet", 0, 1.0},         {"lenet-wide", 0, 1.0}, {"cifar-resnet20", 0, 1.0},
                         {"cifar-plain20", 0, 1.0}, {"alexnet", 67, 0.25}};
  for (const auto& [name, size, width] : models) {
    CAPTURE(name);
    const auto m = resolved(name, false, size, width);
    auto bytes = onnx::export_model(m.model.graph, m.inputs, m.outputs);
    REQUIRE_MESSAGE(bytes.ok(), bytes.error().what());
    onnx::ImportOptions io;
    io.batch = 3;  // the symbolic batch takes any value
    auto back = onnx::import_bytes(std::span(reinterpret_cast<const std::byte*>(bytes->data()), bytes->size()), io,
                                   name + ".onnx");
    REQUIRE_MESSAGE(back.ok(), back.error().what());
    const Graph& g0 = m.model.graph;
    const Graph& g1 = back->model.graph;
    CHECK(g1.shape(back->model.logits)[0] == 3);
    CHECK(g1.shape(back->model.logits)[1] == g0.shape(m.model.logits)[1]);
    std::map<std::string, int> kinds0, kinds1;
    for (const Node& n : g0.nodes())
      if (std::string(n.op->type()) != "dropout" && std::string(n.op->type()) != "transfer" && !is_relu(n))
        ++kinds0[n.op->type()];  // dropout is left out, and ONNX has one device: no transfers
    for (const Node& n : g1.nodes())
      if (!is_relu(n)) ++kinds1[n.op->type()];
    CHECK(relus(g1) == relus(g0));
    if (name.starts_with("cifar-resnet")) {  // each channel_pad comes back as a 1x1 conv
      kinds0["conv2d"] += kinds0["channel_pad"];
      kinds0.erase("channel_pad");
    }
    auto str = [](const std::map<std::string, int>& counts) {
      std::string s;
      for (const auto& [k, v] : counts) s += fmt::format("{} {}, ", k, v);
      return s;
    };
    CHECK_MESSAGE(kinds1 == kinds0, str(kinds1) << " after, before: " << str(kinds0));
    std::map<std::string, Shape> w0, w1;
    for (const TensorDesc& d : g0.tensors())
      if (d.role == Role::parameter || d.role == Role::state) w0[d.name] = d.shape;
    for (const TensorDesc& d : g1.tensors())
      if ((d.role == Role::parameter && !d.frozen) || d.role == Role::state) w1[d.name] = d.shape;
    CHECK(w1 == w0);
  }
}

TEST_CASE("a pad node exports as ONNX Pad and imports back with the same counts and value") {
  // Padding and cropping on each of C, H and W, with a non-zero value: the importer makes a
  // pad node of it again (nothing follows that could take the padding).
  Graph g;
  const TensorId x = g.tensor("x", Shape{2, 3, 5, 6}, Role::input);
  PadParams p;
  p.begin = {1, 2, -1};
  p.end = {0, -1, 3};
  p.value = 0.5f;
  const TensorId y = pad(g, x, p, "pad1");
  REQUIRE(g.status().ok());
  const std::vector<onnx::NamedTensor> inputs = {{"x", x}}, outputs = {{"y", y}};
  auto bytes = onnx::export_model(g, inputs, outputs);
  REQUIRE_MESSAGE(bytes.ok(), bytes.error().what());
  ::onnx::ModelProto m;
  REQUIRE(m.ParseFromArray(bytes->data(), int(bytes->size())));
  int pads = 0;
  for (const auto& n : m.graph().node()) pads += n.op_type() == "Pad";
  CHECK(pads == 1);
  onnx::ImportOptions io;
  io.batch = 2;
  auto back = onnx::import_bytes(std::span(reinterpret_cast<const std::byte*>(bytes->data()), bytes->size()), io,
                                 "pad.onnx");
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  const PadParams* q = nullptr;
  for (const Node& n : back->model.graph.nodes())
    if (const PadParams* found = pad_params(n)) q = found;
  REQUIRE(q != nullptr);
  CHECK(q->begin == p.begin);
  CHECK(q->end == p.end);
  CHECK(q->value == p.value);
  CHECK(back->model.graph.shape(back->model.logits) == g.shape(y));
}

TEST_CASE("export refuses a graph it cannot write, listing every node, and bad arguments") {
  SUBCASE("a training graph: its loss") {
    const auto m = resolved("lenet", true);
    auto r = onnx::export_model(m.model.graph, m.inputs, m.outputs);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Errc::unsupported);
    CHECK_MESSAGE(r.error().message.find("1 node cannot be exported") != std::string::npos, r.error().message);
    CHECK_MESSAGE(r.error().message.find("(softmax_xent)") != std::string::npos, r.error().message);
  }
  SUBCASE("an optimized graph: every prepare node") {
    auto m = resolved("cifar-resnet20");
    auto rw = optimize_for_inference(m.model.graph);
    REQUIRE(rw.ok());
    REQUIRE(rw->batchnorms_folded > 2);
    auto r = onnx::export_model(m.model.graph, m.inputs, m.outputs);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Errc::unsupported);
    const std::string& msg = r.error().message;
    CHECK_MESSAGE(msg.find(fmt::format("{} nodes cannot be exported", rw->batchnorms_folded)) != std::string::npos, msg);
    size_t listed = 0;
    for (size_t at = msg.find("(batchnorm_fold)"); at != std::string::npos; at = msg.find("(batchnorm_fold)", at + 1))
      ++listed;
    CHECK(listed == rw->batchnorms_folded);
  }
  SUBCASE("values of the wrong size") {
    const auto m = resolved("lenet");
    onnx::ExportOptions o;
    o.values.emplace_back(m.model.graph.parameters()[0], std::vector<float>(3));
    auto r = onnx::export_model(m.model.graph, m.inputs, m.outputs, o);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK_MESSAGE(r.error().message.find(m.model.graph.desc(m.model.graph.parameters()[0]).name) != std::string::npos,
                  r.error().message);
  }
  SUBCASE("an output named like another tensor") {
    const auto m = resolved("lenet");
    std::vector<onnx::NamedTensor> outputs = {{"conv1.weight", m.model.logits}};
    auto r = onnx::export_model(m.model.graph, m.inputs, outputs);
    REQUIRE(!r.ok());
    CHECK(r.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("exported values are the given ones, else the seed's initial ones") {
  const auto m = resolved("lenet");
  const Graph& g = m.model.graph;
  const TensorId w = g.parameters()[0];
  onnx::ExportOptions o;
  std::vector<float> given(size_t(g.shape(w).numel()));
  for (size_t k = 0; k < given.size(); ++k) given[k] = float(k) * 0.25f;
  o.values.emplace_back(w, given);
  const auto p = exported(m, o);
  for (const auto& t : p.graph().initializer()) {
    CAPTURE(t.name());
    const TensorId id = g.find(t.name());
    REQUIRE(id.valid());
    std::vector<float> v(t.raw_data().size() / 4);
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
    CHECK(v == (id == w ? given : initial_values(g.desc(id), 1)));
  }
}

}  // namespace vknn::test
