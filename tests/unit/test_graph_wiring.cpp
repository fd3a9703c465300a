// Wrong wiring is refused as it is added: the graph records the first error, naming the node
// and the shapes, and every later builder adds nothing and returns an invalid id, so a caller
// building from untrusted input (an imported model) checks Graph::status() once.
#include "vknn/graph/autodiff.h"
#include "vknn/ops/add.h"
#include "vknn/ops/concat.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/maxpool.h"
#include "vknn/ops/relu.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

using namespace vknn;

namespace {

void check_refused(const Graph& g, std::initializer_list<std::string> parts) {
  REQUIRE(!g.ok());
  CHECK(g.status().error().code == Errc::invalid_argument);
  const std::string& m = g.status().error().message;
  for (const auto& part : parts) CHECK_MESSAGE(m.find(part) != std::string::npos, m << " (missing " << part << ")");
}

}  // namespace

TEST_CASE("graph wiring: a linear layer whose weight does not fit its input is refused by name and shape") {
  Graph g;
  TensorId x = g.input("x", {2, 6});
  TensorId w = g.parameter("fc.weight", {5, 7}, Init::zeros());
  CHECK(!linear(g, x, w, {}, {}, "fc").valid());
  check_refused(g, {"linear 'fc'", "(2,6)", "(5,7)"});
  CHECK(g.nodes().empty());
}

TEST_CASE("graph wiring: adding tensors of different shapes is refused") {
  Graph g;
  CHECK(!add(g, g.input("a", {1, 2, 3, 3}), g.input("b", {1, 2, 3, 4}), "shortcut").valid());
  check_refused(g, {"add 'shortcut'", "(1,2,3,4)"});
}

TEST_CASE("graph wiring: a pooling window larger than the padded input is refused") {
  Graph g;
  CHECK(!maxpool(g, g.input("x", {1, 1, 2, 2}), Pool2dParams{3, 3, 2, 2, 0, 0}, "pool1").valid());
  check_refused(g, {"maxpool 'pool1'"});
}

TEST_CASE("graph wiring: the first refusal is kept and later builders add nothing") {
  Graph g;
  TensorId x = g.input("x", {1, 2, 3, 3});
  CHECK(!add(g, x, g.input("b", {1, 2, 3, 4}), "first").valid());
  const size_t tensors = g.tensors().size();
  CHECK(!relu(g, x, "after").valid());
  CHECK(!concat(g, {x, x}, "cat").valid());
  CHECK(split(g, x, {1, 1}, "split").empty());
  CHECK(!g.input("late", {1}).valid());
  CHECK(g.tensors().size() == tensors);
  CHECK(g.nodes().empty());
  check_refused(g, {"add 'first'"});
  g.loss = x;
  CHECK(!build_backward(g).ok());
}

TEST_CASE("graph wiring: invalid ids, non-positive sizes and duplicate names are refused, not fatal") {
  {
    Graph g;
    CHECK(!relu(g, TensorId{}, "r").valid());
    check_refused(g, {"r", "id -1"});
  }
  {
    Graph g;
    CHECK(!relu(g, TensorId{7}, "r").valid());
    check_refused(g, {"r", "id 7"});
  }
  {
    Graph g;
    CHECK(!g.input("x", {2, 0, 3}).valid());
    check_refused(g, {"'x'", "(2,0,3)", "non-positive"});
  }
  {
    Graph g;
    g.input("x", {2});
    CHECK(!g.parameter("x", {2}, Init::zeros()).valid());
    check_refused(g, {"'x' already exists"});
  }
}

TEST_CASE("graph wiring: a well-wired graph builds without complaint") {
  Graph g;
  TensorId x = g.input("x", {2, 6});
  CHECK(linear(g, x, g.parameter("fc.weight", {5, 6}, Init::zeros()), {}, {}, "fc").valid());
  CHECK(g.ok());
  CHECK(g.find("fc.weight") == TensorId{1});
  CHECK(!g.find("nothing").valid());
}

// Builders read shapes through references into the graph while they add tensors (batchnorm,
// lrn and concat did, and read freed memory when the tensor list grew). Appending must leave
// such references valid; under AddressSanitizer a dangling one is a reported error.
TEST_CASE("graph: references to tensors and nodes stay valid while the graph grows") {
  Graph g;
  const TensorId x = g.input("x", {2, 3, 5, 7});
  const Shape& s = g.shape(x);
  const TensorDesc& d = g.desc(x);
  for (int i = 0; i < 4096; ++i) g.tensor("t" + std::to_string(i), s, Role::activation);
  CHECK(s == Shape{2, 3, 5, 7});
  CHECK(d.name == "x");
  const TensorId y = g.tensor("y", s, Role::activation);
  g.add_node("first", nullptr, {x}, {y});
  const Node& first = g.nodes().front();
  for (int i = 0; i < 4096; ++i) {
    const TensorId o = g.tensor("o" + std::to_string(i), {1}, Role::activation);
    g.add_node("n" + std::to_string(i), nullptr, {y}, {o});
  }
  CHECK(first.name == "first");
  CHECK(first.outputs.at(0) == y);
}
