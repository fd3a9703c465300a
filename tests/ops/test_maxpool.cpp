// Max pooling on the device: every case of graph/cases/ops/maxpool.cpp against the
// double-precision reference (values, the exact argmax with its tie rule, the gathered
// backward plain and accumulating, AlexNet, ResNet and GoogLeNet pools), the tie rule and
// padding by hand, and refused inputs.
#include "op_cases.h"
#include "reference/maxpool.h"

#include "vknn/ops/maxpool.h"

#include <cstring>

using namespace vknn;
using namespace vknn::test;

namespace {

std::vector<int32_t> as_int(const std::vector<float>& v) {
  std::vector<int32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * 4);
  return out;
}

}  // namespace

VKNN_CASES_ON_DEVICE(maxpool, ref::maxpool_case_outputs)

TEST_CASE("maxpool: ties go to the first maximum, padding never wins") {
  // Equal values: each window's first in-bounds element wins and takes all its gradient.
  const Pool2dParams p{2, 2, 1, 1};
  auto tx = make_tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f)), ty = make_tensor({1, 1, 2, 2});
  auto targ = make_tensor({1, 1, 2, 2}), tdy = make_tensor({1, 1, 2, 2}, {1, 2, 3, 4}), tdx = make_tensor({1, 1, 3, 3});
  // All negative with padding: a padded zero must not win.
  const Pool2dParams pp{3, 3, 2, 2, 1, 1};
  auto nx = make_tensor({1, 1, 4, 4}, std::vector<float>(16, -5.0f)), ny = make_tensor({1, 1, 2, 2});
  auto narg = make_tensor({1, 1, 2, 2});
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_maxpool_forward(cl, p, tx.view(), ty.view(), targ.view()));
    REQUIRE_OK(record_maxpool_backward(cl, p, targ.view(), tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_maxpool_forward(cl, pp, nx.view(), ny.view(), narg.view()));
  });
  CHECK(as_int(targ.read()) == std::vector<int32_t>{0, 1, 3, 4});
  CHECK(tdx.read() == std::vector<float>{1, 2, 0, 3, 4, 0, 0, 0, 0});
  CHECK(ny.read() == std::vector<float>(4, -5.0f));
  CHECK(as_int(narg.read()) == std::vector<int32_t>{0, 1, 4, 5});
  // Many ties in random data: the cases with rounded x (graph/cases/ops/maxpool.cpp).
}

TEST_CASE("maxpool: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 2, 5, 5}), y = make_tensor({1, 2, 2, 2}), bad = make_tensor({1, 2, 3, 2});
  auto flat = make_tensor({2, 25}), empty = make_tensor({1, 2, 0, 5});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const Pool2dParams p{3, 3, 2, 2};
  check_refused(record_maxpool_forward(*cl, p, x.view(), bad.view(), y.view()), "maxpool_forward",
                {"y", "(1,2,3,2)", "(1,2,2,2)"});
  check_refused(record_maxpool_forward(*cl, p, x.view(), y.view(), bad.view()), "maxpool_forward",
                {"argmax", "(1,2,3,2)"});
  check_refused(record_maxpool_forward(*cl, p, flat.view(), y.view(), y.view()), "maxpool_forward", {"(2,25)"});
  check_refused(record_maxpool_forward(*cl, p, empty.view(), y.view(), y.view()), "maxpool_forward", {"(1,2,0,5)"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{7, 7, 1, 1, 0, 0}, x.view(), y.view(), y.view()),
                "maxpool_forward", {"larger than the padded input", "7x7", "5x5", "(1,2,5,5)"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{8, 8, 1, 1, 1, 1}, x.view(), y.view(), y.view()),
                "maxpool_forward", {"larger than the padded input", "8x8", "7x7"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{3, 3, 2, 2, 3, 3}, x.view(), y.view(), y.view()),
                "maxpool_forward", {"(3,3,3,3)", "below the kernel 3x3", "(1,2,5,5)"});
  Pool2dParams deep_end = p;
  deep_end.pad_right = 3;
  check_refused(record_maxpool_forward(*cl, deep_end, x.view(), y.view(), y.view()), "maxpool_forward",
                {"(0,0,0,3)", "below the kernel 3x3"});
  deep_end.pad_right = -1;
  check_refused(record_maxpool_forward(*cl, deep_end, x.view(), y.view(), y.view()), "maxpool_forward",
                {"(0,0,0,-1)", "non-negative"});
  Pool2dParams wide = p;
  wide.dilation_w = 0;
  check_refused(record_maxpool_forward(*cl, wide, x.view(), y.view(), y.view()), "maxpool_forward",
                {"dilation 1x0"});
  wide.dilation_w = 3;  // a window 7 columns wide
  check_refused(record_maxpool_forward(*cl, wide, x.view(), y.view(), y.view()), "maxpool_forward",
                {"window 3x7", "dilation 1x3", "larger than the padded input 5x5"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{3, 3, 0, 2}, x.view(), y.view(), y.view()),
                "maxpool_forward", {"stride 0x2"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{}, x.view(), y.view(), y.view()), "maxpool_forward",
                {"kernel 0x0"});
  check_refused(record_maxpool_backward(*cl, p, y.view(), bad.view(), x.view(), false), "maxpool_backward",
                {"dy", "(1,2,3,2)", "(1,2,2,2)"});
  check_refused(record_maxpool_backward(*cl, p, bad.view(), y.view(), x.view(), true), "maxpool_backward",
                {"argmax", "(1,2,3,2)"});
  check_refused(record_maxpool_backward(*cl, p, y.view(), y.view(), bad.view(), false), "maxpool_backward",
                {"larger than the padded input", "(1,2,3,2)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
