// Softmax and log-softmax on the device: every case of graph/cases/ops/softmax.cpp against the
// reference (forward, backward overwriting and accumulating, each axis and the flattened form,
// logits beyond exp's range, a classifier's output, a channel softmax and attention rows), the
// graph builder, and refused inputs.
#include "op_cases.h"
#include "reference/softmax.h"

#include "vknn/ops/softmax.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(softmax, ref::softmax_case_outputs)

TEST_CASE("softmax: the graph builder keeps the shape, its refusal fails the graph") {
  Graph g;
  TensorId w = g.parameter("w", {2, 3, 4}, Init::constant(0.5f));
  TensorId y = softmax(g, w, {1, false, false}, "probs");
  REQUIRE(g.status().ok());
  CHECK(g.shape(y) == Shape{2, 3, 4});
  CHECK(g.desc(y).producer >= 0);
  TensorId ly = softmax(g, w, {-1, true, false}, "logprobs");
  REQUIRE(g.status().ok());
  CHECK(g.shape(ly) == Shape{2, 3, 4});
  softmax(g, w, {3, false, false}, "bad");
  REQUIRE_FALSE(g.status().ok());
  const std::string& m = g.status().error().message;
  CHECK_MESSAGE(m.find("'bad'") != std::string::npos, m);
  CHECK_MESSAGE(m.find("axis 3") != std::string::npos, m);
  CHECK_MESSAGE(m.find("(2,3,4)") != std::string::npos, m);
}

TEST_CASE("softmax: refused inputs name the op and the shapes") {
  auto x = make_tensor({2, 3}), y = make_tensor({2, 3}), other = make_tensor({3, 2});
  auto big = make_tensor({8});
  const TensorView head{big.buffer.ref(0, 24), Shape{6}}, tail{big.buffer.ref(8, 24), Shape{6}};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const SoftmaxParams p{1, false, false};
  check_refused(record_softmax_forward(*cl, p, x.view(), other.view()), "softmax_forward", {"y", "(3,2)", "(2,3)"});
  check_refused(record_softmax_forward(*cl, {2, false, false}, x.view(), y.view()), "softmax_forward",
                {"axis 2", "(2,3)"});
  check_refused(record_softmax_forward(*cl, {-3, true, false}, x.view(), y.view()), "softmax_forward",
                {"axis -3", "(2,3)"});
  check_refused(record_softmax_forward(*cl, {0, false, false}, head, tail), "softmax_forward", {"overlaps"});
  check_refused(record_softmax_forward(*cl, p, x.view(), x.view()), "softmax_forward", {"overlaps"});
  check_refused(record_softmax_backward(*cl, p, x.view(), other.view(), y.view(), false), "softmax_backward",
                {"dy", "(3,2)", "(2,3)"});
  check_refused(record_softmax_backward(*cl, p, x.view(), y.view(), other.view(), false), "softmax_backward",
                {"dx", "(3,2)", "(2,3)"});
  check_refused(record_softmax_backward(*cl, p, x.view(), y.view(), y.view(), true), "softmax_backward",
                {"overlaps"});
  check_refused(record_softmax_backward(*cl, p, x.view(), y.view(), x.view(), false), "softmax_backward",
                {"overlaps"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
