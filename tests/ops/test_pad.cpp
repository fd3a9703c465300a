// Zero padding and cropping of C, H and W on the device: every case of graph/cases/ops/pad.cpp
// against the reference (forward, backward plain and accumulating; tiny, odd, cropped and real
// layer shapes), the graph builder, and refused inputs.
#include "op_cases.h"
#include "reference/pad.h"

#include "vknn/ops/pad.h"

using namespace vknn;
using namespace vknn::test;

namespace {

PadParams pads(std::array<int64_t, 3> begin, std::array<int64_t, 3> end) {
  PadParams p;
  p.begin = begin, p.end = end;
  return p;
}

}  // namespace

VKNN_CASES_ON_DEVICE(pad, ref::pad_case_outputs)

TEST_CASE("pad: the graph builder's output shape, and its refusal failing the graph") {
  Graph g;
  TensorId x = g.parameter("x", {1, 2, 5, 5}, Init::constant(0.5f));
  TensorId y = pad(g, x, pads({1, 0, 2}, {0, -1, 1}), "pad");
  REQUIRE(g.status().ok());
  CHECK(g.shape(y) == Shape{1, 3, 4, 8});
  pad(g, x, pads({0, -3, 0}, {0, -2, 0}), "crop_all");
  REQUIRE_FALSE(g.status().ok());
  CHECK_MESSAGE(g.status().error().message.find("axis H") != std::string::npos, g.status().error().message);
}

TEST_CASE("pad: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 2, 5, 5}), y = make_tensor({1, 2, 7, 7}), bad = make_tensor({1, 2, 7, 6});
  auto flat = make_tensor({50});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const PadParams one = pads({0, 1, 1}, {0, 1, 1});
  check_refused(record_pad_forward(*cl, one, x.view(), bad.view()), "pad_forward", {"y", "(1,2,7,6)", "(1,2,7,7)"});
  check_refused(record_pad_forward(*cl, pads({0, 0, -5}, {0, 0, 0}), x.view(), y.view()), "pad_forward",
                {"axis W", "(1,2,5,5)", "0 elements"});
  check_refused(record_pad_forward(*cl, pads({0, int64_t(1) << 40, 0}, {0, 0, 0}), x.view(), y.view()), "pad_forward",
                {"exceed 2^31"});
  check_refused(record_pad_forward(*cl, one, flat.view(), y.view()), "pad_forward", {"(50)"});
  check_refused(record_pad_forward(*cl, pads({}, {}), x.view(), x.view()), "pad_forward", {"overlaps"});
  check_refused(record_pad_backward(*cl, one, bad.view(), x.view(), false), "pad_backward",
                {"dy", "(1,2,7,6)", "(1,2,7,7)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
