// Zero padding and cropping of C, H and W; see vknn/ops/pad.h.
#include "vknn/ops/pad.h"

#include "param_node.h"
#include "vknn/ops/add.h"

#include <climits>

namespace vknn {
namespace {

struct PadPush {  // mirrors shaders/pad.comp
  uint32_t C, H, W;
  uint32_t CO, HO, WO;
  int32_t begin_c, begin_h, begin_w;
  float value;
  uint32_t flags;
};
static_assert(sizeof(PadPush) == 44);

constexpr uint32_t kAccumulate = 1;

std::string pads_str(const PadParams& p) {
  return fmt::format("begin (C,H,W) ({},{},{}), end ({},{},{})", p.begin[0], p.begin[1], p.begin[2], p.end[0],
                     p.end[1], p.end[2]);
}

// One gather: out[n, c, h, w] (+)= in[n, c - begin_c, h - begin_h, w - begin_w] (value outside in).
Status record_gather(CommandList& cl, const char* op, const char* in_name, const char* out_name,
                     const std::array<int64_t, 3>& begin, float value, const TensorView& in, const TensorView& out,
                     bool accumulate) {
  VKNN_TRY(detail::check_one_binding(op, in_name, in, cl.context()));
  VKNN_TRY(detail::check_one_binding(op, out_name, out, cl.context()));
  if (range(in).overlaps(range(out)))
    return make_error(Errc::invalid_argument, "{}: {} {} overlaps {} {}", op, out_name, out.str(), in_name, in.str());
  const Shape& s = out.shape;  // the dispatch is split where it exceeds the group-count limits
  const Shape& i = in.shape;
  const PadPush push{uint32_t(i[1]),     uint32_t(i[2]),     uint32_t(i[3]),
                     uint32_t(s[1]),     uint32_t(s[2]),     uint32_t(s[3]),
                     int32_t(begin[0]), int32_t(begin[1]), int32_t(begin[2]),
                     value,             accumulate ? kAccumulate : 0u};
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  cl.dispatch(ShaderId::pad, spec,
              {{range(in), Access::read}, {range(out), accumulate ? Access::read_write : Access::write}}, push,
              groups_for(s[2] * s[3], spec[0]), push.CO, uint32_t(s[0]));
  return {};
}

}  // namespace

Result<Shape> pad_output_shape(const char* op, const PadParams& p, const Shape& x) {
  if (x.rank() != 4)
    return make_error(Errc::invalid_argument, "{}: x must be a non-empty (N,C,H,W), got {}", op, x.str());
  for (int64_t d : x.dims)
    if (d <= 0 || d > INT_MAX)
      return make_error(Errc::invalid_argument, "{}: x must be a non-empty (N,C,H,W), got {}", op, x.str());
  Shape y = x;
  for (size_t k = 0; k < 3; ++k) {
    const int64_t b = p.begin[k], e = p.end[k];
    if (b < -int64_t(INT_MAX) || b > INT_MAX || e < -int64_t(INT_MAX) || e > INT_MAX)
      return make_error(Errc::invalid_argument, "{}: pads {} exceed 2^31 (x {})", op, pads_str(p), x.str());
    const int64_t d = x[k + 1] + b + e;
    if (d <= 0 || d > INT_MAX)
      return make_error(Errc::invalid_argument, "{}: pads {} leave axis {} of x {} with {} elements", op, pads_str(p),
                        "CHW"[k], x.str(), d);
    y.dims[k + 1] = d;
  }
  int64_t total = 1;
  for (int64_t d : y.dims)
    if (__builtin_mul_overflow(total, d, &total) || total > (INT64_MAX >> 3))
      return make_error(Errc::invalid_argument, "{}: pads {} make x {} too large to count", op, pads_str(p), x.str());
  return y;
}

Status record_pad_forward(CommandList& cl, const PadParams& p, const TensorView& x, const TensorView& y) {
  constexpr const char* op = "pad_forward";
  VKNN_ASSIGN(const Shape out, pad_output_shape(op, p, x.shape));
  VKNN_TRY(check_shape(op, "y", y, out));
  return record_gather(cl, op, "x", "y", p.begin, p.value, x, y, false);
}

Status record_pad_backward(CommandList& cl, const PadParams& p, const TensorView& dy, const TensorView& dx,
                           bool accumulate) {
  constexpr const char* op = "pad_backward";
  VKNN_ASSIGN(const Shape out, pad_output_shape(op, p, dx.shape));
  VKNN_TRY(check_shape(op, "dy", dy, out));
  const std::array<int64_t, 3> crop{-p.begin[0], -p.begin[1], -p.begin[2]};
  return record_gather(cl, op, "dy", "dx", crop, 0.0f, dy, dx, accumulate);
}

// ---------------------------------------------------------------------------- graph nodes

namespace {

const detail::ParamOpKind<PadParams> kPad{"pad", "pad_backward", record_pad_forward, record_pad_backward};

}  // namespace

TensorId pad(Graph& g, TensorId x, const PadParams& p, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  auto shape = pad_output_shape("pad", p, g.shape(x));
  VKNN_GRAPH_CHECK(g, shape.ok(), "pad '{}' on '{}': {}", name, g.desc(x).name,
                   shape.ok() ? "" : shape.error().message);
  return detail::add_param_node(g, kPad, x, p, *shape, name);
}

const PadParams* pad_params(const Node& n) { return detail::param_node_params(n, kPad); }

}  // namespace vknn
