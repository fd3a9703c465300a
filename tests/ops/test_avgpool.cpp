// Average pooling (2-D and global) on the device: every case of graph/cases/ops/avgpool.cpp
// against the double-precision reference (both divisor modes, floor and ceil mode, the
// gathered backward plain and accumulating, AlexNet-style, ResNet and CIFAR shapes), and
// refused inputs.
#include "op_cases.h"
#include "reference/avgpool.h"

#include "vknn/ops/avgpool.h"

using namespace vknn;
using namespace vknn::test;

namespace {

AvgPool2dParams avg(int k, int s, int pad, bool include_pad) {
  AvgPool2dParams p;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = s;
  p.pad_h = p.pad_w = pad;
  p.count_include_pad = include_pad;
  return p;
}

}  // namespace

VKNN_CASES_ON_DEVICE(avgpool, ref::avgpool_case_outputs)

TEST_CASE("avgpool: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 2, 5, 5}), y = make_tensor({1, 2, 2, 2}), bad = make_tensor({1, 2, 3, 2});
  auto pooled = make_tensor({1, 2}), pooled_bad = make_tensor({1, 3}), empty = make_tensor({0, 2, 5, 5});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const AvgPool2dParams p = avg(3, 2, 0, true);
  check_refused(record_avgpool_forward(*cl, p, x.view(), bad.view()), "avgpool_forward",
                {"y", "(1,2,3,2)", "(1,2,2,2)"});
  check_refused(record_avgpool_forward(*cl, avg(6, 1, 0, true), x.view(), y.view()), "avgpool_forward",
                {"larger than the padded input", "(1,2,5,5)"});
  check_refused(record_avgpool_forward(*cl, avg(3, 1, 3, true), x.view(), y.view()), "avgpool_forward",
                {"(3,3,3,3)", "below the kernel 3x3"});
  AvgPool2dParams dilated = p;
  dilated.dilation_h = 2;
  check_refused(record_avgpool_forward(*cl, dilated, x.view(), y.view()), "avgpool_forward",
                {"dilation 2x1", "(1,2,5,5)"});
  check_refused(record_avgpool_backward(*cl, dilated, y.view(), x.view(), false), "avgpool_backward",
                {"dilation 2x1"});
  check_refused(record_avgpool_forward(*cl, p, empty.view(), y.view()), "avgpool_forward", {"(0,2,5,5)"});
  check_refused(record_avgpool_backward(*cl, p, bad.view(), x.view(), false), "avgpool_backward",
                {"dy", "(1,2,3,2)", "(1,2,2,2)"});
  check_refused(record_global_avgpool_forward(*cl, x.view(), pooled_bad.view()), "global_avgpool_forward",
                {"(1,3)", "(1,2)", "(1,2,1,1)", "(1,2,5,5)"});
  check_refused(record_global_avgpool_forward(*cl, x.view(), y.view()), "global_avgpool_forward", {"(1,2,2,2)"});
  check_refused(record_global_avgpool_forward(*cl, pooled.view(), pooled.view()), "global_avgpool_forward",
                {"rank 4", "(1,2)"});
  check_refused(record_global_avgpool_backward(*cl, pooled_bad.view(), x.view(), true), "global_avgpool_backward",
                {"dy", "(1,3)"});
  check_refused(record_global_avgpool_backward(*cl, pooled.view(), empty.view(), false), "global_avgpool_backward",
                {"(0,2,5,5)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
