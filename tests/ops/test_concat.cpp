// Concat and split along channels on the device: every case of graph/cases/ops/concat.cpp
// against the reference (concat plain and accumulating, split with per-part accumulate flags,
// split's backward, split then concat; odd and two-column AlexNet shapes), rank-2 tensors and
// the channel copy, and refused inputs.
#include "op_cases.h"
#include "reference/concat.h"

#include "vknn/ops/concat.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(concat, ref::concat_case_outputs)

TEST_CASE("concat: rank-2 tensors (N,C) and the channel copy building block") {
  auto a = make_tensor({2, 3}, {1, 2, 3, 4, 5, 6}), b = make_tensor({2, 1}, {7, 8}), y = make_tensor({2, 4});
  const TensorView ins[] = {a.view(), b.view()};
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_concat(cl, ins, y.view())); });
  check_close(y.read(), {1, 2, 3, 7, 4, 5, 6, 8}, {0, 0}, "concat (N,C)");
  auto z = make_tensor({2, 5}, std::vector<float>(10, 1.0f));
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_copy_channels(cl, y.view(), 1, z.view(), 3, 2, true)); });
  check_close(z.read(), {1, 1, 1, 3, 4, 1, 1, 1, 6, 7}, {0, 0}, "copy_channels (accumulate)");
}

TEST_CASE("concat: refused inputs name the op and the shapes") {
  auto a = make_tensor({2, 3, 4, 4}), b = make_tensor({2, 5, 4, 4}), y = make_tensor({2, 8, 4, 4});
  auto bad_n = make_tensor({1, 5, 4, 4}), bad_hw = make_tensor({2, 5, 4, 3}), y_bad = make_tensor({2, 9, 4, 4});
  auto empty = make_tensor({2, 0, 4, 4}), flat = make_tensor({8});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  {
    const TensorView ins[] = {a.view(), bad_n.view()};
    check_refused(record_concat(*cl, ins, y.view()), "concat", {"(1,5,4,4)", "(2,8,4,4)", "dim other than 1"});
  }
  {
    const TensorView ins[] = {a.view(), bad_hw.view()};
    check_refused(record_concat(*cl, ins, y.view()), "concat", {"(2,5,4,3)", "(2,8,4,4)"});
  }
  {
    const TensorView ins[] = {a.view(), b.view()};
    check_refused(record_concat(*cl, ins, y_bad.view()), "concat", {"8 channels", "(2,9,4,4)", "(2,3,4,4), (2,5,4,4)"});
    check_refused(record_split(*cl, y_bad.view(), ins), "split", {"(2,9,4,4)"});
    check_refused(record_split(*cl, y.view(), ins, {true}), "split", {"1 accumulate flags for 2 outputs"});
    check_refused(record_concat(*cl, {}, y.view()), "concat", {"no inputs", "(2,8,4,4)"});
  }
  {
    const TensorView ins[] = {a.view(), empty.view()};
    check_refused(record_concat(*cl, ins, y.view()), "concat", {"(2,0,4,4)"});
  }
  {
    const TensorView ins[] = {flat.view()};
    check_refused(record_concat(*cl, ins, flat.view()), "concat", {"rank >= 2", "(8)"});
  }
  {
    const TensorView ins[] = {a.view(), b.view(), a.view()};
    check_refused(record_split(*cl, y.view(), ins), "split", {"(2,8,4,4)"});
  }
  check_refused(record_copy_channels(*cl, a.view(), 2, b.view(), 0, 2, false), "copy_channels", {"out of range"});
  check_refused(record_copy_channels(*cl, a.view(), 0, bad_n.view(), 0, 2, false), "copy_channels", {"(1,5,4,4)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
