// The activation family on the device: every case of graph/cases/ops/activation.cpp against
// the reference (every kind, forward also in place, backward overwriting and accumulating,
// odd sizes and real layer shapes, the kinks), and refused inputs.
#include "op_cases.h"
#include "reference/activation.h"

#include "vknn/ops/activation.h"

#include <limits>

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(activation, ref::activation_case_outputs)

TEST_CASE("activation: refused inputs name the op and the shapes") {
  auto x = make_tensor({2, 3}), other = make_tensor({3, 2}), empty = make_tensor({2, 0});
  auto big = make_tensor({8});
  const TensorView head{big.buffer.ref(0, 16), Shape{4}}, tail{big.buffer.ref(8, 16), Shape{4}};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const auto sig = ActivationParams::sigmoid();
  check_refused(record_activation_forward(*cl, sig, x.view(), other.view()), "activation_forward",
                {"y", "(3,2)", "(2,3)"});
  check_refused(record_activation_forward(*cl, sig, empty.view(), empty.view()), "activation_forward", {"(2,0)"});
  check_refused(record_activation_forward(*cl, sig, head, tail), "activation_forward", {"overlaps"});
  check_refused(record_activation_forward(*cl, ActivationParams::clip(1, -1), x.view(), x.view()),
                "activation_forward", {"clip", "[1, -1]"});
  check_refused(record_activation_forward(*cl, ActivationParams::leaky_relu(std::numeric_limits<float>::quiet_NaN()),
                                          x.view(), x.view()),
                "activation_forward", {"leaky_relu", "finite"});
  check_refused(record_activation_backward(*cl, sig, x.view(), other.view(), x.view(), false), "activation_backward",
                {"dy", "(3,2)", "(2,3)"});
  auto dy = make_tensor({2, 3});
  check_refused(record_activation_backward(*cl, sig, x.view(), dy.view(), dy.view(), false), "activation_backward",
                {"overlaps"});
  check_refused(record_activation_backward(*cl, sig, x.view(), dy.view(), x.view(), true), "activation_backward",
                {"overlaps"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
