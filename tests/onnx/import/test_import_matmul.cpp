// What MatMul and Gemm become in the graph (no device): the classifier's Gemm a linear layer
// with its parameters' ONNX names, every other Gemm and MatMul one matmul node (C its third
// input), vectors promoted and dropped again; and the refusals naming the shapes. Their numbers
// are checked on the device by ONNX's node tests, the export round trip and the training test.
#include "import_checks.h"
#include "model_builder.h"
#include "vknn/onnx/import.h"
#include "vknn/ops/matmul.h"

#include <doctest/doctest.h>

using namespace vknn;
using vknn::test::check_error;
using vknn::test::count_nodes;
using vknn::test::import;
using vknn::test::OnnxBuilder;

namespace {

// x (N,6) -> Gemm(x or its transpose, w, c) with the given attributes.
OnnxBuilder gemm(std::vector<int64_t> ws, std::vector<int64_t> cs, int64_t trans_a, int64_t trans_b, float alpha,
                 float beta) {
  OnnxBuilder b(13);
  b.input("x", {2, 6});
  int64_t wn = 1, cn = 1;
  for (int64_t d : ws) wn *= d;
  for (int64_t d : cs) cn *= d;
  b.initializer("w", ws, std::vector<float>(size_t(wn), 0.5f));
  b.initializer("c", cs, std::vector<float>(size_t(cn), 0.25f));
  auto& g = b.node("Gemm", {"x", "w", "c"}, {"y"}, "fc");
  if (trans_a) OnnxBuilder::attr(g, "transA", trans_a);
  if (trans_b) OnnxBuilder::attr(g, "transB", trans_b);
  if (alpha != 1.0f) OnnxBuilder::attr(g, "alpha", alpha);
  if (beta != 1.0f) OnnxBuilder::attr(g, "beta", beta);
  b.output("y");
  return b;
}

OnnxBuilder matmul_of(std::vector<int64_t> as, std::vector<int64_t> bs) {
  OnnxBuilder b(13);
  b.input("a", as);
  b.input("b", bs);
  b.node("MatMul", {"a", "b"}, {"y"}, "mm");
  b.output("y");
  return b;
}

// The file's shapes as they are (not the default batch of 1).
Result<vknn::onnx::ImportedModel> import_as_is(const OnnxBuilder& b) {
  vknn::onnx::ImportOptions opt;
  opt.batch = 0;
  return import(b, opt);
}

}  // namespace

TEST_CASE("Gemm: the classifier's form stays a linear layer, every other one is a matmul node with C") {
  auto fc = import_as_is(gemm({5, 6}, {5}, 0, 1, 1.0f, 1.0f));
  REQUIRE(fc.ok());
  CHECK(count_nodes(fc->model.graph, "linear") == 1);
  CHECK(count_nodes(fc->model.graph, "matmul") == 0);
  CHECK(fc->model.graph.find("w").valid());
  CHECK(fc->model.graph.find("c").valid());

  // transB = 0 with a weight (6,5), alpha and beta, C per row: one matmul node, C its input.
  auto mm = import_as_is(gemm({6, 5}, {2, 1}, 0, 0, 0.5f, 0.25f));
  REQUIRE(mm.ok());
  const Graph& g = mm->model.graph;
  CHECK(count_nodes(g, "linear") == 0);
  REQUIRE(count_nodes(g, "matmul") == 1);
  const Node* node = nullptr;
  for (const Node& n : g.nodes())
    if (matmul_params(n)) node = &n;
  REQUIRE(node);
  CHECK(node->inputs.size() == 3);
  CHECK(g.desc(node->inputs[2]).name == "c");
  CHECK(matmul_params(*node)->alpha == 0.5f);
  CHECK(matmul_params(*node)->beta == 0.25f);
  CHECK(!matmul_params(*node)->trans_a);
  CHECK(g.shape(mm->outputs[0].id) == Shape{2, 5});

  // x (2,6) transposed: (6,2)·w(2,3)... A is x, so M = 6 and K = 2.
  auto ta = import_as_is(gemm({2, 3}, {}, 1, 0, 1.0f, 1.0f));
  REQUIRE(ta.ok());
  CHECK(ta->model.graph.shape(ta->outputs[0].id) == Shape{6, 3});
  // beta 0: C takes no part (and the classifier's form holds again).
  auto b0 = import_as_is(gemm({5, 6}, {2, 5}, 0, 1, 1.0f, 0.0f));
  REQUIRE(b0.ok());
  CHECK(count_nodes(b0->model.graph, "linear") == 1);
}

TEST_CASE("Gemm: refusals name the shapes") {
  check_error(import_as_is(gemm({5, 6}, {5}, 0, 0, 1.0f, 1.0f)), Errc::parse, {"Gemm of [2,6] and [5,6]", "inner dims 6 and 5"});
  check_error(import_as_is(gemm({6, 5}, {3, 5}, 0, 0, 1.0f, 1.0f)), Errc::parse,
              {"Gemm input 'C' [3,5] does not broadcast to the output [2,5]"});
  check_error(import_as_is(gemm({6, 5}, {5}, 2, 0, 1.0f, 1.0f)), Errc::parse, {"'transA' = 2"});
}

TEST_CASE("MatMul: vectors are promoted and their dim dropped, batch dims broadcast from one side") {
  auto vm = import_as_is(matmul_of({6}, {6, 4}));
  REQUIRE(vm.ok());
  CHECK(count_nodes(vm->model.graph, "matmul") == 1);
  CHECK(vm->model.graph.shape(vm->outputs[0].id).numel() == 4);
  auto mv = import_as_is(matmul_of({3, 6}, {6}));
  REQUIRE(mv.ok());
  CHECK(mv->model.graph.shape(mv->outputs[0].id).numel() == 3);
  auto batched = import_as_is(matmul_of({2, 3, 5, 6}, {6, 4}));
  REQUIRE(batched.ok());
  CHECK(batched->model.graph.shape(batched->outputs[0].id) == Shape{2, 3, 5, 4});

  check_error(import_as_is(matmul_of({2, 1, 5, 6}, {3, 6, 4})), Errc::unsupported,
              {"mm", "broadcast only part of their batch dims"});
  check_error(import_as_is(matmul_of({2, 5, 6}, {3, 6, 4})), Errc::parse, {"MatMul of [2,5,6] and [3,6,4]"});
  check_error(import_as_is(matmul_of({5, 6}, {5, 4})), Errc::parse, {"inner dims or the batch dims disagree"});
}
