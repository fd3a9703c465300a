// The channel shuffle on the device: every case of graph/cases/ops/channel_shuffle.cpp against
// the reference (forward, backward plain and accumulating, odd shapes and ShuffleNet V2's),
// the graph builder, and refused inputs.
#include "op_cases.h"
#include "reference/channel_shuffle.h"

#include "vknn/ops/channel_shuffle.h"

using namespace vknn;
using namespace vknn::test;

namespace {

ChannelShuffleParams shuffle(int64_t groups) {
  ChannelShuffleParams p;
  p.groups = groups;
  return p;
}

}  // namespace

VKNN_CASES_ON_DEVICE(channel_shuffle, ref::channel_shuffle_case_outputs)

TEST_CASE("channel_shuffle: the graph builder keeps the shape, its refusal fails the graph") {
  Graph g;
  TensorId w = g.parameter("w", {1, 6, 2, 2}, Init::constant(0.5f));
  TensorId y = channel_shuffle(g, w, shuffle(3), "shuffle");
  REQUIRE(g.status().ok());
  CHECK(g.shape(y) == Shape{1, 6, 2, 2});
  channel_shuffle(g, w, shuffle(4), "bad");
  REQUIRE_FALSE(g.status().ok());
  CHECK_MESSAGE(g.status().error().message.find("4 groups") != std::string::npos, g.status().error().message);
}

TEST_CASE("channel_shuffle: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 6, 2, 2}), y = make_tensor({1, 6, 2, 2}), bad = make_tensor({1, 6, 2, 1});
  auto flat = make_tensor({24});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_channel_shuffle_forward(*cl, shuffle(2), x.view(), bad.view()), "channel_shuffle_forward",
                {"y", "(1,6,2,1)", "(1,6,2,2)"});
  check_refused(record_channel_shuffle_forward(*cl, shuffle(4), x.view(), y.view()), "channel_shuffle_forward",
                {"4 groups", "6 channels", "(1,6,2,2)"});
  check_refused(record_channel_shuffle_forward(*cl, shuffle(0), x.view(), y.view()), "channel_shuffle_forward",
                {"0 groups"});
  check_refused(record_channel_shuffle_forward(*cl, shuffle(2), flat.view(), y.view()), "channel_shuffle_forward",
                {"(24)"});
  check_refused(record_channel_shuffle_forward(*cl, shuffle(2), x.view(), x.view()), "channel_shuffle_forward",
                {"overlaps"});
  check_refused(record_channel_shuffle_backward(*cl, shuffle(2), bad.view(), x.view(), false),
                "channel_shuffle_backward", {"dx", "(1,6,2,2)", "(1,6,2,1)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
