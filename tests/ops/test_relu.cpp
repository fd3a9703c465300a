// ReLU on the device: every case of graph/cases/ops/relu.cpp against the reference (forward,
// also in place; backward overwriting, accumulating, in place and with dx = dy; odd sizes,
// zeros, real layers), and refused inputs.
#include "op_cases.h"
#include "reference/relu.h"

#include "vknn/ops/relu.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(relu, ref::relu_case_outputs)

TEST_CASE("relu: refused inputs name the op and the shapes") {
  auto x = make_tensor({2, 3}), other = make_tensor({3, 2}), empty = make_tensor({2, 0});
  auto big = make_tensor({8});
  const TensorView head{big.buffer.ref(0, 16), Shape{4}}, tail{big.buffer.ref(8, 16), Shape{4}};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_relu_forward(*cl, x.view(), other.view()), "relu_forward", {"y", "(3,2)", "(2,3)"});
  check_refused(record_relu_forward(*cl, empty.view(), empty.view()), "relu_forward", {"(2,0)"});
  check_refused(record_relu_forward(*cl, head, tail), "relu_forward", {"overlaps"});
  check_refused(record_relu_backward(*cl, x.view(), other.view(), x.view(), false), "relu_backward",
                {"dy", "(3,2)", "(2,3)"});
  check_refused(record_relu_backward(*cl, x.view(), x.view(), other.view(), true), "relu_backward", {"dx", "(3,2)"});
  check_refused(record_relu_backward(*cl, other.view(), x.view(), x.view(), true), "relu_backward", {"(2,3)", "(3,2)"});
  auto y = make_tensor({2, 3});
  check_refused(record_relu_backward(*cl, y.view(), x.view(), x.view(), true), "relu_backward", {"in place"});
  check_refused(record_relu_backward_inplace(*cl, x.view(), other.view()), "relu_backward_inplace", {"grad", "(3,2)"});
  // fp16 storage: the forward's x and y share one type; the backward's gradients are fp32.
  auto dx = make_tensor({2, 3}), g = make_tensor({2, 3});
  const auto half = [](const TensorView& v) {
    return TensorView{.buffer = v.buffer, .shape = v.shape, .dtype = DType::f16};
  };
  check_refused(record_relu_forward(*cl, half(x.view()), y.view()), "relu_forward", {"y", "f32", "f16"});
  check_refused(record_relu_backward(*cl, half(y.view()), half(x.view()), dx.view(), false), "relu_backward",
                {"dy", "f16", "f32"});
  check_refused(record_relu_backward(*cl, half(y.view()), x.view(), half(dx.view()), false), "relu_backward",
                {"dx", "f16", "f32"});
  check_refused(record_relu_backward_inplace(*cl, half(y.view()), half(g.view())), "relu_backward_inplace",
                {"grad", "f16"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
