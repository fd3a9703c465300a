#include "vknn/ops/binary.h"

#include "vknn/ops/add.h"

#include <algorithm>
#include <array>

namespace vknn {
namespace {

constexpr size_t kRank = 6;

struct BinaryPush {  // mirrors shaders/common/binary.glsl
  uint32_t count, flags, r_begin, r_end;
  std::array<uint32_t, kRank> dims, tdims, sa, sb;
};
static_assert(sizeof(BinaryPush) == 112);

constexpr uint32_t kAccumulate = 1, kSame = 2, kTargetB = 4;

// The shapes of one call padded to kRank on the left, with adjacent dims merged where both
// operands broadcast alike (both repeat, or both run): (N,C,1,1) * (N,C,H,W) becomes
// (N*C,1) * (N*C,H*W).
struct Layout {
  std::array<int64_t, kRank> y{}, a{}, b{};
};

std::optional<Layout> layout(const Shape& as, const Shape& bs) {
  const auto ys = broadcast_shapes(as, bs);
  if (!ys) return std::nullopt;
  const size_t r = ys->rank();
  std::vector<int64_t> y = ys->dims, a(r, 1), b(r, 1);
  std::copy(as.dims.begin(), as.dims.end(), a.begin() + ptrdiff_t(r - as.rank()));
  std::copy(bs.dims.begin(), bs.dims.end(), b.begin() + ptrdiff_t(r - bs.rank()));
  std::vector<int64_t> my, ma, mb;
  for (size_t d = 0; d < r; ++d) {
    if (y[d] == 1) continue;  // nothing to index
    if (!my.empty() && (a[d] == 1) == (ma.back() == 1) && (b[d] == 1) == (mb.back() == 1)) {
      my.back() *= y[d];
      ma.back() *= a[d];
      mb.back() *= b[d];
    } else {
      my.push_back(y[d]);
      ma.push_back(a[d]);
      mb.push_back(b[d]);
    }
  }
  if (my.size() > kRank) return std::nullopt;
  Layout l;
  l.y.fill(1), l.a.fill(1), l.b.fill(1);
  const size_t off = kRank - my.size();
  for (size_t d = 0; d < my.size(); ++d) l.y[off + d] = my[d], l.a[off + d] = ma[d], l.b[off + d] = mb[d];
  return l;
}

// Strides of an operand over y's coordinates: 0 where it broadcasts.
std::array<uint32_t, kRank> strides(const std::array<int64_t, kRank>& dims, const std::array<int64_t, kRank>& y) {
  std::array<uint32_t, kRank> s{};
  uint64_t run = 1;
  for (size_t d = kRank; d-- > 0;) {
    s[d] = dims[d] == y[d] && y[d] != 1 ? uint32_t(run) : 0u;
    run *= uint64_t(dims[d]);
  }
  return s;
}

std::array<uint32_t, kRank> to_u32(const std::array<int64_t, kRank>& v) {
  std::array<uint32_t, kRank> r{};
  for (size_t d = 0; d < kRank; ++d) r[d] = uint32_t(v[d]);
  return r;
}

Status check_inputs(const char* op, BinaryOp kind, const TensorView& a, const TensorView& b, Layout& l, Shape& ys) {
  if (uint32_t(kind) > uint32_t(BinaryOp::div))
    return make_error(Errc::invalid_argument, "{}: op {} is not + - * / (a {}, b {})", op, uint32_t(kind), a.str(),
                      b.str());
  VKNN_TRY(check_positive(op, "a", a));
  VKNN_TRY(check_positive(op, "b", b));
  const auto s = broadcast_shapes(a.shape, b.shape);
  if (!s) return make_error(Errc::invalid_argument, "{}: a {} and b {} do not broadcast", op, a.str(), b.str());
  ys = *s;
  VKNN_TRY(detail::check_elements(op, "y", TensorView{{}, ys}));
  const auto lay = layout(a.shape, b.shape);
  if (!lay)
    return make_error(Errc::invalid_argument, "{}: a {} and b {} broadcast over more than {} runs of dims", op, a.str(),
                      b.str(), kRank);
  l = *lay;
  return {};
}

}  // namespace

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return "add";
    case BinaryOp::sub: return "sub";
    case BinaryOp::mul: return "mul";
    case BinaryOp::div: return "div";
  }
  return "binary";
}

std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t r = std::max(a.rank(), b.rank());
  std::vector<int64_t> y(r);
  for (size_t k = 0; k < r; ++k) {
    const int64_t da = k < r - a.rank() ? 1 : a.dims[k - (r - a.rank())];
    const int64_t db = k < r - b.rank() ? 1 : b.dims[k - (r - b.rank())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    y[k] = da == 1 ? db : da;
  }
  return Shape(std::move(y));
}

Status record_binary_forward(CommandList& cl, BinaryOp kind, const TensorView& a, const TensorView& b,
                             const TensorView& y, bool accumulate) {
  constexpr const char* op = "binary_forward";
  Layout l;
  Shape ys;
  VKNN_TRY(check_inputs(op, kind, a, b, l, ys));
  VKNN_TRY(check_shape(op, "y", y, ys));
  if (range(y).overlaps(range(a)) || range(y).overlaps(range(b)))
    return make_error(Errc::invalid_argument, "binary_forward: y {} overlaps a {} or b {}", y.str(), a.str(), b.str());
  if (uint64_t(range(a).size) > detail::max_binding_floats(cl.context()) * 4 ||
      uint64_t(range(b).size) > detail::max_binding_floats(cl.context()) * 4 ||
      uint64_t(range(y).size) > detail::max_binding_floats(cl.context()) * 4)
    return make_error(Errc::invalid_argument, "binary_forward: a {}, b {} or y {} exceeds one storage-buffer binding",
                      a.str(), b.str(), y.str());
  BinaryPush push{};
  push.count = uint32_t(y.numel());
  push.flags = (accumulate ? kAccumulate : 0u) | (a.shape == b.shape ? kSame : 0u);
  push.dims = to_u32(l.y);
  push.tdims.fill(1);
  push.sa = strides(l.a, l.y);
  push.sb = strides(l.b, l.y);
  const uint32_t spec[] = {cl.context().profile().elementwise_local, uint32_t(kind)};
  cl.dispatch(ShaderId::binary_forward, spec,
              {{range(a), Access::read}, {range(b), Access::read}, {range(y), accumulate ? Access::read_write : Access::write}},
              push, groups_for(y.numel(), spec[0]));
  return {};
}

Status record_binary_backward(CommandList& cl, BinaryOp kind, const TensorView& a, const TensorView& b,
                              const TensorView& dy, bool target_b, const TensorView& dx, bool accumulate) {
  constexpr const char* op = "binary_backward";
  Layout l;
  Shape ys;
  VKNN_TRY(check_inputs(op, kind, a, b, l, ys));
  VKNN_TRY(check_shape(op, "dy", dy, ys));
  VKNN_TRY(check_shape(op, target_b ? "db" : "da", dx, target_b ? b.shape : a.shape));
  if (range(dx).overlaps(range(a)) || range(dx).overlaps(range(b)) || range(dx).overlaps(range(dy)))
    return make_error(Errc::invalid_argument, "binary_backward: {} {} overlaps a {}, b {} or dy {}",
                      target_b ? "db" : "da", dx.str(), a.str(), b.str(), dy.str());
  for (const TensorView* t : {&a, &b, &dy})
    if (uint64_t(range(*t).size) > detail::max_binding_floats(cl.context()) * 4)
      return make_error(Errc::invalid_argument, "binary_backward: {} exceeds one storage-buffer binding", t->str());
  BinaryPush push{};
  push.count = uint32_t(dx.numel());
  push.dims = to_u32(l.y);
  push.tdims = to_u32(target_b ? l.b : l.a);
  push.sa = strides(target_b ? l.a : l.b, l.y);  // the other operand
  const int64_t reduce = ys.numel() / dx.numel();
  // Each broadcast element costs the invocation one outer and six inner loop iterations.
  const DeviceProfile& profile = cl.context().profile();
  const int64_t per_pass = std::max<int64_t>(1, int64_t(profile.loop_budget) / 8);
  const uint32_t spec[] = {profile.elementwise_local, uint32_t(kind)};
  for (int64_t r0 = 0; r0 < reduce; r0 += per_pass) {
    const bool add = accumulate || r0 > 0;
    push.flags = (add ? kAccumulate : 0u) | (target_b ? kTargetB : 0u);
    push.r_begin = uint32_t(r0);
    push.r_end = uint32_t(std::min(reduce, r0 + per_pass));
    cl.dispatch(ShaderId::binary_backward, spec,
                {{range(a), Access::read},
                 {range(b), Access::read},
                 {range(dy), Access::read},
                 {range(dx), add ? Access::read_write : Access::write}},
                push, groups_for(dx.numel(), spec[0]));
  }
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct BinaryBackwardNode final : OpNode {
  BinaryOp op = BinaryOp::add;
  bool target_b = false, accumulate = false;
  const char* type() const override { return "binary_backward"; }
  // in: a, b, dy; out: da or db
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_binary_backward(cl, op, io.in[0], io.in[1], io.in[2], target_b, io.out[0], accumulate);
  }
};

struct BinaryNode final : OpNode {
  BinaryOp op = BinaryOp::add;
  const char* type() const override { return binary_name(op); }
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_binary_forward(cl, op, io.in[0], io.in[1], io.out[0]);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    for (size_t i = 0; i < 2; ++i) {
      if (!b.needs_grad(i)) continue;
      auto target = b.grad_input(i);
      auto n = std::make_shared<BinaryBackwardNode>();
      n->op = op;
      n->target_b = i == 1;
      n->accumulate = target.accumulate;
      b.add_node(i == 0 ? "a" : "b", n, {b.input(0), b.input(1), b.grad_output(0)}, {target.tensor});
    }
    return {};
  }
  double flops(const Graph& g, const Node& n) const override { return double(g.shape(n.outputs[0]).numel()); }
};

}  // namespace

TensorId binary(Graph& g, BinaryOp op, TensorId a, TensorId b, const std::string& name) {
  if (!g.accepts({a, b}, name)) return {};
  const auto ys = broadcast_shapes(g.shape(a), g.shape(b));
  VKNN_GRAPH_CHECK(g, ys.has_value(), "{} '{}': '{}' {} and '{}' {} do not broadcast", binary_name(op), name,
                   g.desc(a).name, g.shape(a).str(), g.desc(b).name, g.shape(b).str());
  VKNN_GRAPH_CHECK(g, layout(g.shape(a), g.shape(b)).has_value(),
                   "{} '{}': '{}' {} and '{}' {} broadcast over more than {} runs of dims", binary_name(op), name,
                   g.desc(a).name, g.shape(a).str(), g.desc(b).name, g.shape(b).str(), kRank);
  VKNN_GRAPH_CHECK(g, uint32_t(op) <= uint32_t(BinaryOp::div), "binary '{}': op {} is not + - * /", name, uint32_t(op));
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, *ys, Role::activation);
  auto node = std::make_shared<BinaryNode>();
  node->op = op;
  g.add_node(n, node, {a, b}, {y});
  return y;
}

std::optional<BinaryOp> binary_op(const Node& n) {
  const auto* b = dynamic_cast<const BinaryNode*>(n.op.get());
  if (!b) return std::nullopt;
  return b->op;
}

}  // namespace vknn
