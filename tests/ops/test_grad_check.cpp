// The gradient overflow check on the device: every case of graph/cases/ops/grad_check.cpp
// against the reference, and refused inputs.
#include "op_cases.h"
#include "reference/grad_check.h"

#include "vknn/ops/grad_check.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(grad_check, ref::grad_check_case_outputs)

TEST_CASE("grad_check: refused inputs name the op, the shapes and the types") {
  auto x = make_tensor({2, 3}), flag = make_tensor({1}), wide = make_tensor({2});
  const TensorView x16{.buffer = x.view().buffer, .shape = x.view().shape, .dtype = DType::f16};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const TensorView ok[] = {x.view()}, half[] = {x16}, same[] = {flag.view()};
  check_refused(record_grad_check(*cl, ok, wide.view()), "grad_check", {"flag", "(2)"});
  check_refused(record_grad_check(*cl, half, flag.view()), "grad_check", {"f16"});
  check_refused(record_grad_check(*cl, same, flag.view()), "grad_check", {"overlaps"});
}
