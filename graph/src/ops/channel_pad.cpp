// Strided identity with zero-padded channels; see vknn/ops/channel_pad.h.
#include "vknn/ops/channel_pad.h"

#include "param_node.h"
#include "vknn/ops/add.h"

namespace vknn {
namespace {

struct ChannelPadPush {  // mirrors shaders/common/channel_pad_push.glsl
  uint32_t C, H, W;
  uint32_t CO, HO, WO;
  uint32_t stride, offset, flags;
};
static_assert(sizeof(ChannelPadPush) == 36);

constexpr uint32_t kAccumulate = 1;

ChannelPadPush make_push(const ChannelPadParams& p, const Shape& x, const Shape& y, uint32_t flags) {
  return {uint32_t(x[1]),     uint32_t(x[2]), uint32_t(x[3]),           uint32_t(y[1]), uint32_t(y[2]),
          uint32_t(y[3]),     uint32_t(p.stride), uint32_t(p.channel_offset), flags};
}

}  // namespace

Result<Shape> channel_pad_output_shape(const char* op, const ChannelPadParams& p, const Shape& x) {
  if (x.rank() != 4 || x.numel() <= 0)
    return make_error(Errc::invalid_argument, "{}: x must be a non-empty (N,C,H,W), got {}", op, x.str());
  if (p.stride < 1)
    return make_error(Errc::invalid_argument, "{}: stride {} must be at least 1 (x {})", op, p.stride, x.str());
  if (p.channel_offset < 0 || p.out_channels < p.channel_offset + x[1])
    return make_error(Errc::invalid_argument,
                      "{}: {} output channels cannot hold x's {} channels at offset {} (x {})", op, p.out_channels,
                      x[1], p.channel_offset, x.str());
  return Shape{x[0], p.out_channels, (x[2] - 1) / p.stride + 1, (x[3] - 1) / p.stride + 1};
}

Status record_channel_pad_forward(CommandList& cl, const ChannelPadParams& p, const TensorView& x,
                                  const TensorView& y) {
  constexpr const char* op = "channel_pad_forward";
  VKNN_ASSIGN(const Shape out, channel_pad_output_shape(op, p, x.shape));
  VKNN_TRY(check_shape(op, "y", y, out));
  VKNN_TRY(detail::check_one_binding(op, "x", x, cl.context()));
  VKNN_TRY(detail::check_one_binding(op, "y", y, cl.context()));
  if (range(x).overlaps(range(y)))
    return make_error(Errc::invalid_argument, "{}: y {} overlaps x {}", op, y.str(), x.str());
  const ChannelPadPush push = make_push(p, x.shape, out, 0);
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  cl.dispatch(ShaderId::channel_pad_forward, spec, {{range(x), Access::read}, {range(y), Access::write}}, push,
              groups_for(push.HO * push.WO, spec[0]), push.CO, uint32_t(out[0]));
  return {};
}

Status record_channel_pad_backward(CommandList& cl, const ChannelPadParams& p, const TensorView& dy,
                                   const TensorView& dx, bool accumulate) {
  constexpr const char* op = "channel_pad_backward";
  VKNN_ASSIGN(const Shape out, channel_pad_output_shape(op, p, dx.shape));
  VKNN_TRY(check_shape(op, "dy", dy, out));
  VKNN_TRY(detail::check_one_binding(op, "dx", dx, cl.context()));
  VKNN_TRY(detail::check_one_binding(op, "dy", dy, cl.context()));
  if (range(dx).overlaps(range(dy)))
    return make_error(Errc::invalid_argument, "{}: dx {} overlaps dy {}", op, dx.str(), dy.str());
  const ChannelPadPush push = make_push(p, dx.shape, out, accumulate ? kAccumulate : 0u);
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  cl.dispatch(ShaderId::channel_pad_backward, spec,
              {{range(dy), Access::read}, {range(dx), accumulate ? Access::read_write : Access::write}}, push,
              groups_for(push.H * push.W, spec[0]), push.C, uint32_t(out[0]));
  return {};
}

// ---------------------------------------------------------------------------- graph nodes

namespace {

const detail::ParamOpKind<ChannelPadParams> kChannelPad{"channel_pad", "channel_pad_backward", record_channel_pad_forward, record_channel_pad_backward};

}  // namespace

TensorId channel_pad(Graph& g, TensorId x, const ChannelPadParams& p, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  auto shape = channel_pad_output_shape("channel_pad", p, g.shape(x));
  VKNN_GRAPH_CHECK(g, shape.ok(), "channel_pad '{}' on '{}': {}", name, g.desc(x).name,
                   shape.ok() ? "" : shape.error().message);
  return detail::add_param_node(g, kChannelPad, x, p, *shape, name);
}

const ChannelPadParams* channel_pad_params(const Node& n) {
  return detail::param_node_params(n, kChannelPad);
}

}  // namespace vknn
