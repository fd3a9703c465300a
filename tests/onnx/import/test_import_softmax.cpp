// Softmax and LogSoftmax import: the axis and its opset-dependent default and meaning (one
// axis from opset 13, x coerced to 2-D at axis before it), and what is refused, named.
#include "import_checks.h"
#include "model_builder.h"
#include "vknn/onnx/import.h"
#include "vknn/ops/softmax.h"

#include <doctest/doctest.h>

#include <optional>

using namespace vknn;
using vknn::test::check_error;
using vknn::test::import;
using vknn::test::OnnxBuilder;

namespace {

// x (N,3,4,5) -> op -> y; `axis` absent when nullopt.
OnnxBuilder softmax_model(const std::string& op, int64_t opset, std::optional<int64_t> axis) {
  OnnxBuilder b(opset);
  b.input("x", {-1, 3, 4, 5});
  auto& n = b.node(op, {"x"}, {"y"}, "probs");
  if (axis) OnnxBuilder::attr(n, "axis", *axis);
  b.output("y");
  return b;
}

// The parameters of the imported graph's only softmax node.
SoftmaxParams imported_params(const OnnxBuilder& b) {
  vknn::onnx::ImportOptions io;
  io.batch = 2;
  auto m = import(b, io);
  REQUIRE_MESSAGE(m.ok(), m.error().what());
  std::optional<SoftmaxParams> found;
  for (const Node& n : m->model.graph.nodes())
    if (const SoftmaxParams* p = softmax_params(n)) {
      CHECK_FALSE(found.has_value());
      found = *p;
    }
  REQUIRE(found.has_value());
  CHECK(m->model.graph.shape(m->model.logits) == Shape{2, 3, 4, 5});
  return *found;
}

}  // namespace

TEST_CASE("Softmax: from opset 13 over one axis (default -1), before it over x flattened at axis (default 1)") {
  const SoftmaxParams s13 = imported_params(softmax_model("Softmax", 13, std::nullopt));
  CHECK((s13.axis == -1 && !s13.flatten && !s13.log));
  const SoftmaxParams s13a = imported_params(softmax_model("Softmax", 13, 1));
  CHECK((s13a.axis == 1 && !s13a.flatten));
  const SoftmaxParams s11 = imported_params(softmax_model("Softmax", 11, std::nullopt));
  CHECK((s11.axis == 1 && s11.flatten && !s11.log));
  const SoftmaxParams l9 = imported_params(softmax_model("LogSoftmax", 9, -2));
  CHECK((l9.axis == -2 && l9.flatten && l9.log));
  const SoftmaxParams l14 = imported_params(softmax_model("LogSoftmax", 14, 2));
  CHECK((l14.axis == 2 && !l14.flatten && l14.log));
}

TEST_CASE("Softmax: an axis outside the rank and an unknown attribute are refused, named") {
  check_error(import(softmax_model("Softmax", 13, 4)), Errc::parse, {"Softmax", "axis 4", "[-4, 4)"});
  check_error(import(softmax_model("LogSoftmax", 11, -5)), Errc::parse, {"LogSoftmax", "axis -5"});
  OnnxBuilder b = softmax_model("Softmax", 13, 1);
  OnnxBuilder::attr(*b.graph().mutable_node(0), "temperature", 2.0f);
  check_error(import(b), Errc::unsupported, {"temperature"});
}
