// Channel shuffle; see vknn/ops/channel_shuffle.h.
#include "vknn/ops/channel_shuffle.h"

#include "param_node.h"
#include "vknn/ops/add.h"

namespace vknn {
namespace {

struct ChannelShufflePush {  // mirrors shaders/channel_shuffle.comp
  uint32_t C, HW, groups, flags;
};
static_assert(sizeof(ChannelShufflePush) == 16);

constexpr uint32_t kAccumulate = 1;

// One gather: out[n, c] (+)= in[n, (c % groups) * (C/groups) + c / groups].
Status record_gather(CommandList& cl, const char* op, const char* in_name, const char* out_name, int64_t groups,
                     const TensorView& in, const TensorView& out, bool accumulate) {
  VKNN_TRY(check_shape(op, out_name, out, in.shape));
  VKNN_TRY(detail::check_one_binding(op, in_name, in, cl.context()));
  if (range(in).overlaps(range(out)))
    return make_error(Errc::invalid_argument, "{}: {} {} overlaps {} {}", op, out_name, out.str(), in_name, in.str());
  const Shape& s = in.shape;
  if (s[1] > UINT16_MAX || s[0] > UINT16_MAX)
    return make_error(Errc::invalid_argument, "{}: {} {} has more than 65535 channels or samples", op, in_name,
                      in.str());
  const ChannelShufflePush push{uint32_t(s[1]), uint32_t(s[2] * s[3]), uint32_t(groups),
                                accumulate ? kAccumulate : 0u};
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  cl.dispatch(ShaderId::channel_shuffle, spec,
              {{range(in), Access::read}, {range(out), accumulate ? Access::read_write : Access::write}}, push,
              groups_for(push.HW, spec[0]), push.C, uint32_t(s[0]));
  return {};
}

}  // namespace

Status check_channel_shuffle(const char* op, const ChannelShuffleParams& p, const Shape& x) {
  if (x.rank() != 4 || x.numel() <= 0)
    return make_error(Errc::invalid_argument, "{}: x must be a non-empty (N,C,H,W), got {}", op, x.str());
  if (p.groups < 1 || x[1] % p.groups != 0)
    return make_error(Errc::invalid_argument, "{}: {} groups do not divide the {} channels of x {}", op, p.groups,
                      x[1], x.str());
  return {};
}

Status record_channel_shuffle_forward(CommandList& cl, const ChannelShuffleParams& p, const TensorView& x,
                                      const TensorView& y) {
  constexpr const char* op = "channel_shuffle_forward";
  VKNN_TRY(check_channel_shuffle(op, p, x.shape));
  return record_gather(cl, op, "x", "y", p.groups, x, y, false);
}

Status record_channel_shuffle_backward(CommandList& cl, const ChannelShuffleParams& p, const TensorView& dy,
                                       const TensorView& dx, bool accumulate) {
  constexpr const char* op = "channel_shuffle_backward";
  VKNN_TRY(check_channel_shuffle(op, p, dy.shape));
  return record_gather(cl, op, "dy", "dx", dy.shape[1] / p.groups, dy, dx, accumulate);
}

// ---------------------------------------------------------------------------- graph nodes

namespace {

const detail::ParamOpKind<ChannelShuffleParams> kChannelShuffle{"channel_shuffle", "channel_shuffle_backward", record_channel_shuffle_forward, record_channel_shuffle_backward};

}  // namespace

TensorId channel_shuffle(Graph& g, TensorId x, const ChannelShuffleParams& p, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  const Status s = check_channel_shuffle("channel_shuffle", p, g.shape(x));
  VKNN_GRAPH_CHECK(g, s.ok(), "channel_shuffle '{}' on '{}': {}", name, g.desc(x).name, s.ok() ? "" : s.error().message);
  return detail::add_param_node(g, kChannelShuffle, x, p, g.shape(x), name);
}

const ChannelShuffleParams* channel_shuffle_params(const Node& n) {
  return detail::param_node_params(n, kChannelShuffle);
}

}  // namespace vknn
