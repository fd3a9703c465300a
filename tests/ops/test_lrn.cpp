// LRN on the device: every case of graph/cases/ops/lrn.cpp against the double-precision
// reference (forward, backward plain and accumulating, both variants, tiny and odd shapes,
// AlexNet's layers), and refused inputs.
#include "op_cases.h"
#include "reference/lrn.h"

#include "vknn/ops/lrn.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(lrn, ref::lrn_case_outputs)

TEST_CASE("lrn: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 4, 3, 3}), other = make_tensor({1, 4, 3, 2}), flat = make_tensor({4, 9});
  auto empty = make_tensor({1, 0, 3, 3});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const LrnParams p;
  check_refused(record_lrn_forward(*cl, p, x.view(), other.view(), x.view()), "lrn_forward", {"(1,4,3,2)", "(1,4,3,3)"});
  check_refused(record_lrn_forward(*cl, p, x.view(), x.view(), other.view()), "lrn_forward", {"scale", "(1,4,3,2)"});
  check_refused(record_lrn_forward(*cl, p, flat.view(), flat.view(), flat.view()), "lrn_forward", {"rank 4", "(4,9)"});
  check_refused(record_lrn_forward(*cl, p, empty.view(), empty.view(), empty.view()), "lrn_forward", {"(1,0,3,3)"});
  for (int size : {4, 0, -3}) {
    CAPTURE(size);
    check_refused(record_lrn_forward(*cl, LrnParams{size}, x.view(), x.view(), x.view()), "lrn_forward",
                  {"odd and positive", "(1,4,3,3)"});
  }
  check_refused(record_lrn_forward(*cl, LrnParams{5, 1e-4f, 0.75f, 0.0f}, x.view(), x.view(), x.view()), "lrn_forward",
                {"k > 0"});
  check_refused(record_lrn_backward(*cl, p, x.view(), x.view(), other.view(), x.view(), false), "lrn_backward",
                {"dy", "(1,4,3,2)", "(1,4,3,3)"});
  check_refused(record_lrn_backward(*cl, p, x.view(), x.view(), x.view(), other.view(), true), "lrn_backward",
                {"dx", "(1,4,3,2)"});
  check_refused(record_lrn_backward(*cl, LrnParams{2}, x.view(), x.view(), x.view(), x.view(), false), "lrn_backward",
                {"size", "(1,4,3,3)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
