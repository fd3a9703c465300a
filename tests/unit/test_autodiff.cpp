// The structure autodiff builds: which gradients exist, and who overwrites or accumulates.
#include "vknn/graph/autodiff.h"

#include <doctest/doctest.h>

using namespace vknn;

namespace {

// y = f(a, b, ...): records nothing; its backward writes every input gradient, remembering
// whether it was asked to accumulate.
struct FakeOp : OpNode {
  const char* type() const override { return "fake"; }
  Status record(CommandList&, const NodeIO&) const override { return {}; }
  Status backward(BackwardBuilder& b) const override {
    for (size_t i = 0; i < b.node().inputs.size(); ++i) {
      if (!b.needs_grad(i)) continue;
      auto target = b.grad_input(i);
      auto op = std::make_shared<GradOp>();
      op->accumulate = target.accumulate;
      std::vector<TensorId> ins;
      if (TensorId g = b.grad_output(0); g.valid()) ins.push_back(g);
      b.add_node(std::to_string(i), op, ins, {target.tensor});
    }
    return {};
  }
  struct GradOp : OpNode {
    bool accumulate = false;
    const char* type() const override { return accumulate ? "grad+=" : "grad="; }
    Status record(CommandList&, const NodeIO&) const override { return {}; }
  };
};

TensorId fake(Graph& g, const std::string& name, std::vector<TensorId> in, Shape shape) {
  TensorId y = g.tensor(name, shape, Role::activation);
  g.add_node(name, std::make_shared<FakeOp>(), std::move(in), {y});
  return y;
}

const Node* node_named(const Graph& g, const std::string& name) {
  for (const auto& n : g.nodes())
    if (n.name == name) return &n;
  return nullptr;
}

}  // namespace

TEST_CASE("autodiff: a residual shortcut sums gradients, first contributor overwrites") {
  Graph g;
  TensorId x = g.input("x", {2, 4});
  TensorId w1 = g.parameter("w1", {4}, Init::zeros());
  TensorId w2 = g.parameter("w2", {4}, Init::zeros());
  TensorId frozen = g.parameter("frozen", {4}, Init::zeros(), /*frozen=*/true);
  TensorId h = fake(g, "h", {x, w1}, {2, 4});            // h = f(x, w1)
  TensorId branch = fake(g, "branch", {h, w2, frozen}, {2, 4});  // the residual branch
  TensorId sum = fake(g, "sum", {h, branch}, {2, 4});     // h feeds two ops: the shortcut
  g.loss = fake(g, "loss", {sum}, {1});
  REQUIRE(build_backward(g).ok());

  // Backward order is reverse: loss, sum, branch, h. h's gradient comes first from "sum"
  // (overwrite), then from "branch" (accumulate).
  CHECK(g.desc(x).grad.valid() == false);       // inputs get no gradient
  CHECK(g.desc(frozen).grad.valid() == false);  // nor frozen parameters
  REQUIRE(g.desc(w1).grad.valid());
  REQUIRE(g.desc(w2).grad.valid());
  CHECK(g.desc(g.desc(w1).grad).name == "w1.grad");
  const Node* from_sum = node_named(g, "sum.backward.0");
  const Node* from_branch = node_named(g, "branch.backward.0");
  REQUIRE(from_sum);
  REQUIRE(from_branch);
  CHECK(std::string(from_sum->op->type()) == "grad=");
  CHECK(std::string(from_branch->op->type()) == "grad+=");
  CHECK(from_sum->outputs[0] == g.desc(h).grad);
  CHECK(from_branch->outputs[0] == g.desc(h).grad);
  for (const auto& n : g.nodes())
    if (n.name.find("backward") != std::string::npos) CHECK(n.phase == Phase::backward);
}

TEST_CASE("autodiff: refuses a graph without a loss or without parameters") {
  Graph g;
  TensorId x = g.input("x", {3});
  TensorId y = fake(g, "y", {x}, {1});
  CHECK(!build_backward(g).ok());
  g.loss = y;
  auto s = build_backward(g);
  REQUIRE(!s.ok());
  CHECK(s.error().message.find("no trainable parameter") != std::string::npos);
}

TEST_CASE("autodiff: an op without a gradient rule is reported by name") {
  struct NoGrad : OpNode {
    const char* type() const override { return "nograd"; }
    Status record(CommandList&, const NodeIO&) const override { return {}; }
  };
  Graph g;
  TensorId w = g.parameter("w", {3}, Init::zeros());
  TensorId y = g.tensor("y", {3}, Role::activation);
  g.add_node("argmaxish", std::make_shared<NoGrad>(), {w}, {y});
  g.loss = fake(g, "loss", {y}, {1});
  auto s = build_backward(g);
  REQUIRE(!s.ok());
  CHECK(s.error().message.find("'argmaxish' (nograd) has no gradient") != std::string::npos);
}
