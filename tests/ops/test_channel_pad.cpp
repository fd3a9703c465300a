// The option-A shortcut on the device: every case of graph/cases/ops/channel_pad.cpp against
// the reference (forward into a non-zero y, backward plain and accumulating, odd shapes and
// the CIFAR ResNet shortcuts), the graph builder, and refused inputs.
#include "op_cases.h"
#include "reference/channel_pad.h"

#include "vknn/ops/channel_pad.h"

using namespace vknn;
using namespace vknn::test;

namespace {

ChannelPadParams pad(int stride, int64_t out_channels, int64_t offset = 0) {
  ChannelPadParams p;
  p.stride = stride, p.out_channels = out_channels, p.channel_offset = offset;
  return p;
}

}  // namespace

VKNN_CASES_ON_DEVICE(channel_pad, ref::channel_pad_case_outputs)

TEST_CASE("channel_pad: the graph builder's output shape, and its refusal failing the graph") {
  Graph g;
  TensorId w = g.parameter("w", {1, 2, 5, 5}, Init::constant(0.5f));
  TensorId y = channel_pad(g, w, pad(2, 4, 1), "pad");
  REQUIRE(g.status().ok());
  CHECK(g.shape(y) == Shape{1, 4, 3, 3});
  channel_pad(g, w, pad(0, 4), "bad_stride");
  REQUIRE_FALSE(g.status().ok());
  CHECK_MESSAGE(g.status().error().message.find("stride 0") != std::string::npos, g.status().error().message);
}

TEST_CASE("channel_pad: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 2, 5, 5}), y = make_tensor({1, 4, 3, 3}), bad = make_tensor({1, 4, 3, 2});
  auto flat = make_tensor({50});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_channel_pad_forward(*cl, pad(2, 4), x.view(), bad.view()), "channel_pad_forward",
                {"y", "(1,4,3,2)", "(1,4,3,3)"});
  check_refused(record_channel_pad_forward(*cl, pad(2, 3, 2), x.view(), y.view()), "channel_pad_forward",
                {"3 output channels", "2 channels at offset 2", "(1,2,5,5)"});
  check_refused(record_channel_pad_forward(*cl, pad(0, 4), x.view(), y.view()), "channel_pad_forward", {"stride 0"});
  check_refused(record_channel_pad_forward(*cl, pad(2, 4), flat.view(), y.view()), "channel_pad_forward", {"(50)"});
  check_refused(record_channel_pad_forward(*cl, pad(2, 4), x.view(), x.view()), "channel_pad_forward",
                {"y", "(1,2,5,5)"});
  check_refused(record_channel_pad_backward(*cl, pad(2, 4), bad.view(), x.view(), false), "channel_pad_backward",
                {"dy", "(1,4,3,2)", "(1,4,3,3)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
