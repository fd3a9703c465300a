// The strided identity with zero-padded channels on the device against the reference:
// forward, backward (plain and accumulating), odd shapes and the CIFAR ResNet shortcuts,
// the graph builder, and refused inputs. (models_tests trains the option-A ResNet, whose
// shortcuts' gradients come from this op's backward node.)
#include "gpu.h"
#include "reference/channel_pad.h"

#include "vknn/ops/channel_pad.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_channel_pad(const ChannelPadParams& p, Shape shape, uint32_t seed) {
  CAPTURE(shape.str());
  CAPTURE(p.stride);
  CAPTURE(p.out_channels);
  CAPTURE(p.channel_offset);
  const int n = int(shape[0]), c = int(shape[1]), h = int(shape[2]), w = int(shape[3]);
  const ref::ChannelPadParams rp{p.stride, int(p.out_channels), int(p.channel_offset)};
  const Shape out{n, p.out_channels, rp.out_size(h), rp.out_size(w)};
  const auto x = random_floats(size_t(shape.numel()), seed, -2, 2);
  const auto dy = random_floats(size_t(out.numel()), seed + 1);
  const auto dx0 = random_floats(size_t(shape.numel()), seed + 2);
  const auto y = ref::channel_pad_forward(rp, n, c, h, w, to_double(x));
  const auto dx = ref::channel_pad_backward(rp, n, c, h, w, to_double(dy));

  // y starts non-zero, so the padded channels must be written, not left as they were.
  auto tx = make_tensor(shape, x), ty = make_tensor(out, random_floats(size_t(out.numel()), seed + 3));
  auto tdy = make_tensor(out, dy), tdx = make_tensor(shape, random_floats(size_t(shape.numel()), seed + 4));
  auto tdx_acc = make_tensor(shape, dx0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_channel_pad_forward(cl, p, tx.view(), ty.view()));
    REQUIRE_OK(record_channel_pad_backward(cl, p, tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_channel_pad_backward(cl, p, tdy.view(), tdx_acc.view(), true));
  });
  check_close(ty.read(), y, {0, 0}, "channel_pad y");  // copies and zeros: exact
  check_close(tdx.read(), dx, {0, 0}, "channel_pad dx");
  check_close(tdx_acc.read(), plus(dx, dx0), {}, "channel_pad dx (accumulate)");
}

ChannelPadParams pad(int stride, int64_t out_channels, int64_t offset = 0) {
  ChannelPadParams p;
  p.stride = stride, p.out_channels = out_channels, p.channel_offset = offset;
  return p;
}

}  // namespace

TEST_CASE("channel_pad: tiny and odd shapes match the reference") {
  check_channel_pad(pad(1, 1), {1, 1, 1, 1}, 1);
  check_channel_pad(pad(2, 3), {1, 1, 1, 1}, 2);
  check_channel_pad(pad(2, 5, 1), {2, 3, 7, 9}, 3);
  check_channel_pad(pad(3, 4, 0), {1, 3, 5, 6}, 4);
  check_channel_pad(pad(1, 7, 3), {3, 2, 4, 3}, 5);
  check_channel_pad(pad(2, 2), {1, 2, 2, 17}, 6);
}

TEST_CASE("channel_pad: the CIFAR ResNet option-A shortcuts (16 -> 32 at 32x32, 32 -> 64 at 16x16)") {
  check_channel_pad(pad(2, 32), {2, 16, 32, 32}, 11);
  check_channel_pad(pad(2, 64), {2, 32, 16, 16}, 12);
  check_channel_pad(pad(2, 64, 16), {1, 32, 16, 16}, 13);  // zeros on both sides
}

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
