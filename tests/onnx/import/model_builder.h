// Builds small ONNX models in code (with the same protobuf classes the importer parses) for
// the import tests: structure, folding and refusals without a file on disk.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace vknn::test {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 13) {
    m_.set_ir_version(8);
    m_.set_producer_name("vknn-test");
    auto* o = m_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
  }
  ::onnx::GraphProto& graph() { return *m_.mutable_graph(); }
  ::onnx::ModelProto& model() { return m_; }

  // A FLOAT input; a dim of -1 is dynamic, named by `param` ("N" for the first).
  void input(const std::string& name, std::vector<int64_t> dims, int32_t type = 1) {
    auto* v = graph().add_input();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(type);
    auto* s = t->mutable_shape();
    for (size_t k = 0; k < dims.size(); ++k) {
      auto* d = s->add_dim();
      if (dims[k] == -1) d->set_dim_param(k == 0 ? "N" : "D" + std::to_string(k));
      else d->set_dim_value(dims[k]);
    }
  }
  void output(const std::string& name) { graph().add_output()->set_name(name); }

  void initializer(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(1);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
  }
  void int_initializer(const std::string& name, std::vector<int64_t> dims, const std::vector<int64_t>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(7);
    for (int64_t d : dims) t->add_dims(d);
    for (int64_t v : values) t->add_int64_data(v);
  }

  ::onnx::NodeProto& node(const std::string& op, std::initializer_list<std::string> inputs,
                          std::initializer_list<std::string> outputs, const std::string& name = {}) {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + "_" + std::to_string(graph().node_size()) : name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }
  static void attr(::onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(::onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr(::onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(::onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }

  std::vector<std::byte> bytes() const {
    std::string s = m_.SerializeAsString();
    std::vector<std::byte> b(s.size());
    for (size_t k = 0; k < s.size(); ++k) b[k] = std::byte(uint8_t(s[k]));
    return b;
  }

 private:
  ::onnx::ModelProto m_;
};

// A small CNN: input (N,3,8,8) -> Conv 3x3 p1 (4) + Relu -> MaxPool 2 -> Flatten -> Gemm (5),
// with a Shape/Gather/Unsqueeze/Concat/Reshape subgraph in place of the Flatten.
inline OnnxBuilder small_cnn(int64_t opset = 13) {
  OnnxBuilder b(opset);
  b.input("x", {-1, 3, 8, 8});
  std::vector<float> w(4 * 3 * 3 * 3), bias(4), fc(5 * 64), fcb(5);
  for (size_t k = 0; k < w.size(); ++k) w[k] = float(int(k % 7) - 3) * 0.1f;
  for (size_t k = 0; k < bias.size(); ++k) bias[k] = 0.05f * float(k);
  for (size_t k = 0; k < fc.size(); ++k) fc[k] = float(int(k % 5) - 2) * 0.02f;
  b.initializer("conv.weight", {4, 3, 3, 3}, w);
  b.initializer("conv.bias", {4}, bias);
  b.initializer("fc.weight", {5, 64}, fc);
  b.initializer("fc.bias", {5}, fcb);
  auto& conv = b.node("Conv", {"x", "conv.weight", "conv.bias"}, {"c"}, "conv");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
  OnnxBuilder::attr(conv, "kernel_shape", std::vector<int64_t>{3, 3});
  b.node("Relu", {"c"}, {"r"}, "relu");
  auto& pool = b.node("MaxPool", {"r"}, {"p"}, "pool");
  OnnxBuilder::attr(pool, "kernel_shape", std::vector<int64_t>{2, 2});
  OnnxBuilder::attr(pool, "strides", std::vector<int64_t>{2, 2});
  // Reshape(p, Concat(Unsqueeze(Gather(Shape(p), 0)), [-1])), as PyTorch exports x.view(x.size(0), -1)
  b.node("Shape", {"p"}, {"shape"}, "shape");
  b.int_initializer("zero", {}, {0});
  b.int_initializer("axes0", {1}, {0});
  b.int_initializer("minus1", {1}, {-1});
  auto& gather = b.node("Gather", {"shape", "zero"}, {"n"}, "gather");
  OnnxBuilder::attr(gather, "axis", int64_t(0));
  b.node("Unsqueeze", {"n", "axes0"}, {"n1"}, "unsqueeze");
  auto& cat = b.node("Concat", {"n1", "minus1"}, {"target"}, "concat_shape");
  OnnxBuilder::attr(cat, "axis", int64_t(0));
  b.node("Reshape", {"p", "target"}, {"flat"}, "reshape");
  auto& gemm = b.node("Gemm", {"flat", "fc.weight", "fc.bias"}, {"y"}, "fc");
  OnnxBuilder::attr(gemm, "transB", int64_t(1));
  b.output("y");
  return b;
}

}  // namespace vknn::test
