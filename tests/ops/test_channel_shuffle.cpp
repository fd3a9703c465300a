// The channel shuffle on the device against the reference: forward, backward (plain and
// accumulating), odd shapes and ShuffleNet V2's shapes, the graph builder, refused inputs.
#include "gpu.h"
#include "reference/channel_shuffle.h"

#include "vknn/ops/channel_shuffle.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_channel_shuffle(int64_t groups, Shape shape, uint32_t seed) {
  CAPTURE(shape.str());
  CAPTURE(groups);
  const int n = int(shape[0]), c = int(shape[1]), hw = int(shape[2] * shape[3]);
  const auto x = random_floats(size_t(shape.numel()), seed, -2, 2);
  const auto dy = random_floats(size_t(shape.numel()), seed + 1);
  const auto dx0 = random_floats(size_t(shape.numel()), seed + 2);
  const auto y = ref::channel_shuffle_forward(int(groups), n, c, hw, to_double(x));
  const auto dx = ref::channel_shuffle_backward(int(groups), n, c, hw, to_double(dy));

  ChannelShuffleParams p;
  p.groups = groups;
  auto tx = make_tensor(shape, x), ty = make_tensor(shape, random_floats(size_t(shape.numel()), seed + 3));
  auto tdy = make_tensor(shape, dy), tdx = make_tensor(shape, random_floats(size_t(shape.numel()), seed + 4));
  auto tdx_acc = make_tensor(shape, dx0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_channel_shuffle_forward(cl, p, tx.view(), ty.view()));
    REQUIRE_OK(record_channel_shuffle_backward(cl, p, tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_channel_shuffle_backward(cl, p, tdy.view(), tdx_acc.view(), true));
  });
  check_close(ty.read(), y, {0, 0}, "channel_shuffle y");  // copies: exact
  check_close(tdx.read(), dx, {0, 0}, "channel_shuffle dx");
  check_close(tdx_acc.read(), plus(dx, dx0), {}, "channel_shuffle dx (accumulate)");
}

ChannelShuffleParams shuffle(int64_t groups) {
  ChannelShuffleParams p;
  p.groups = groups;
  return p;
}

}  // namespace

TEST_CASE("channel_shuffle: tiny and odd shapes match the reference") {
  check_channel_shuffle(1, {1, 1, 1, 1}, 1);
  check_channel_shuffle(2, {1, 2, 1, 1}, 2);
  check_channel_shuffle(3, {2, 9, 5, 7}, 3);
  check_channel_shuffle(2, {3, 6, 1, 1}, 4);
  check_channel_shuffle(5, {1, 5, 3, 3}, 5);   // groups == C: the identity
  check_channel_shuffle(4, {2, 12, 17, 3}, 6);
}

TEST_CASE("channel_shuffle: ShuffleNet V2 x0.5's shuffles at 224 (48 channels at 28, 96 at 14, 192 at 7)") {
  check_channel_shuffle(2, {2, 48, 28, 28}, 11);
  check_channel_shuffle(2, {1, 96, 14, 14}, 12);
  check_channel_shuffle(2, {2, 192, 7, 7}, 13);
}

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
