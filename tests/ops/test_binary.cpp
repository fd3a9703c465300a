// Broadcasting binary ops on the device: every case of graph/cases/ops/binary.cpp against the
// reference (+ - * / over scalar, per-channel, row, outer-product and equal shapes, odd and
// real sizes, both gradients overwriting and accumulating, sums long enough to need several
// passes), and refused inputs.
#include "op_cases.h"
#include "reference/binary.h"

#include "vknn/ops/binary.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(binary, ref::binary_case_outputs)

TEST_CASE("binary: refused inputs name the op and the shapes") {
  auto a = make_tensor({2, 3}), b = make_tensor({4}), y = make_tensor({2, 3}), other = make_tensor({3, 2});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_binary_forward(*cl, BinaryOp::mul, a.view(), b.view(), y.view()), "binary_forward",
                {"(2,3)", "(4)", "broadcast"});
  check_refused(record_binary_forward(*cl, BinaryOp::mul, a.view(), a.view(), other.view()), "binary_forward",
                {"y", "(3,2)", "(2,3)"});
  check_refused(record_binary_forward(*cl, BinaryOp::mul, a.view(), y.view(), a.view()), "binary_forward",
                {"overlaps"});
  check_refused(record_binary_forward(*cl, BinaryOp(7), a.view(), y.view(), other.view()), "binary_forward", {"op 7"});
  check_refused(record_binary_backward(*cl, BinaryOp::div, a.view(), y.view(), other.view(), false, a.view(), false),
                "binary_backward", {"dy", "(3,2)"});
  auto dy = make_tensor({2, 3}), one = make_tensor({1});
  check_refused(record_binary_backward(*cl, BinaryOp::div, a.view(), one.view(), dy.view(), true, a.view(), false),
                "binary_backward", {"db", "(1)", "(2,3)"});
  check_refused(record_binary_backward(*cl, BinaryOp::div, a.view(), y.view(), dy.view(), false, dy.view(), false),
                "binary_backward", {"overlaps"});
  auto seven = make_tensor({2, 1, 2, 1, 2, 1, 2}), seven_b = make_tensor({1, 2, 1, 2, 1, 2, 1});
  check_refused(record_binary_forward(*cl, BinaryOp::add, seven.view(), seven_b.view(), make_tensor({2, 2, 2, 2, 2, 2, 2}).view()),
                "binary_forward", {"runs of dims"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
