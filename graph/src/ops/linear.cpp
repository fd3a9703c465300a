#include "vknn/ops/linear.h"
#include "vknn/ops/relu.h"

#include "vknn/ops/add.h"
#include "vknn/ops/matmul.h"

#include <algorithm>

namespace vknn {
namespace {

struct SumRowsPush {  // mirrors shaders/common/linear_push.glsl
  uint32_t outer, channels, inner, flags;
};
static_assert(sizeof(SumRowsPush) == 16);

constexpr uint32_t kAccumulate = 1;

struct GemvPush {  // mirrors shaders/common/linear_gemv_push.glsl
  uint32_t in_elems, out_count, y_stride, flags;
};
static_assert(sizeof(GemvPush) == 16);
constexpr uint32_t kGemvBias = 1, kGemvRelu = 2;

using detail::present;

struct Dims {
  uint32_t n = 0, in = 0, out = 0;
};

Status check_fits(const char* op, const char* name, const TensorView& t, const CommandList& cl) {
  if (uint64_t(t.numel()) > detail::max_binding_floats(cl.context()))
    return make_error(Errc::invalid_argument, "{}: {} {} is larger than one storage-buffer binding ({} floats)", op, name,
                      t.str(), detail::max_binding_floats(cl.context()));
  return {};
}

// Output rows of the weight per slice: all of them when the weight fits one binding,
// otherwise a multiple of 64 (keeping slice offsets 256-byte aligned) that fits.
Result<uint32_t> rows_per_slice(const char* op, const TensorView& weight, const CommandList& cl) {
  const uint64_t limit = detail::max_binding_floats(cl.context());
  const uint64_t out = uint64_t(weight.shape[0]), in = uint64_t(weight.shape[1]);
  if (out * in <= limit) return uint32_t(out);
  const uint64_t rows = limit / in / 64 * 64;
  if (rows == 0)
    return make_error(Errc::invalid_argument, "{}: weight {} has rows longer than a 64-row slice can bind ({} floats)",
                      op, weight.str(), limit);
  return uint32_t(rows);
}

// Checks x or dx (N,IN), weight or dweight (OUT,IN), y or dy (N,OUT); returns N, IN, OUT.
Result<Dims> check_dims(const char* op, const char* xn, const TensorView& x, const char* wn, const TensorView& w,
                        const char* yn, const TensorView& y, const CommandList& cl) {
  VKNN_TRY(check_rank(op, xn, x, 2));
  VKNN_TRY(check_rank(op, wn, w, 2));
  if (w.shape[1] != x.shape[1])
    return make_error(Errc::invalid_argument, "{}: {} {} and {} {} disagree on IN (weight is (OUT,IN))", op, xn, x.str(),
                      wn, w.str());
  VKNN_TRY(check_shape(op, yn, y, Shape{x.shape[0], w.shape[0]}));
  VKNN_TRY(check_fits(op, xn, x, cl));
  VKNN_TRY(check_fits(op, yn, y, cl));
  return Dims{uint32_t(x.shape[0]), uint32_t(x.shape[1]), uint32_t(w.shape[0])};
}

Status sum(CommandList& cl, const char* op, const TensorView& x, const TensorView& out, uint32_t outer,
           uint32_t channels, uint32_t inner, bool accumulate) {
  VKNN_TRY(check_fits(op, "x", x, cl));
  if (range(x).overlaps(range(out)))
    return make_error(Errc::invalid_argument, "{}: out {} overlaps x {}", op, out.str(), x.str());
  const uint32_t spec[] = {64};  // one invocation per channel (often only a few hundred)
  const SumRowsPush push{outer, channels, inner, accumulate ? kAccumulate : 0u};
  cl.dispatch(ShaderId::linear_sum_rows, spec,
              {{range(x), Access::read}, {range(out), accumulate ? Access::read_write : Access::write}},
              push, groups_for(channels, spec[0]));
  return {};
}

}  // namespace

LinearGemv linear_forward_gemv(const DeviceProfile& profile, const TensorView& x, const TensorView& weight) {
  if (!profile.linear_gemv || x.shape.rank() != 2 || x.shape[0] < 1 || x.shape[0] > kGemvMaxBatch)
    return LinearGemv::none;
  // 64-bit elements: IN even and both bindings 8-byte aligned (weight slices start at
  // multiples of 64 rows, so they stay aligned).
  const bool wide = profile.linear_gemv_wide && x.shape[1] % 2 == 0 && x.buffer.offset % 8 == 0 &&
                    weight.buffer.offset % 8 == 0;
  return wide ? LinearGemv::wide : LinearGemv::narrow;
}

Status record_linear_forward(CommandList& cl, const LinearParams& p, const TensorView& x, const TensorView& weight,
                             const TensorView& bias, const TensorView& y) {
  constexpr const char* op = "linear_forward";
  VKNN_ASSIGN(const Dims d, check_dims(op, "x", x, "weight", weight, "y", y, cl));
  if (present(bias)) VKNN_TRY(check_shape(op, "bias", bias, Shape{weight.shape[0]}));
  if (range(y).overlaps(range(x)) || range(y).overlaps(range(weight)) ||
      (present(bias) && range(y).overlaps(range(bias))))
    return make_error(Errc::invalid_argument, "linear_forward: y {} overlaps x {}, the weight {} or the bias", y.str(),
                      x.str(), weight.str());
  VKNN_ASSIGN(const uint32_t rows, rows_per_slice(op, weight, cl));
  if (const LinearGemv g = linear_forward_gemv(cl.context().profile(), x, weight); g != LinearGemv::none) {
    // The matrix-vector kernel, one dispatch per slice of output rows (8 per workgroup).
    const bool wide = g == LinearGemv::wide;
    const uint32_t spec[] = {d.n};
    for (uint32_t o0 = 0; o0 < d.out; o0 += rows) {
      const uint32_t cols = std::min(rows, d.out - o0);
      const GemvPush push{wide ? d.in / 2 : d.in, cols, d.out, (present(bias) ? kGemvBias : 0u) | (p.relu ? kGemvRelu : 0u)};
      const BufferRef w = weight.buffer.sub(uint64_t(o0) * d.in * 4, uint64_t(cols) * d.in * 4);
      const BufferRef c = y.buffer.sub(uint64_t(o0) * 4, (uint64_t(d.n) * d.out - o0) * 4);
      const BufferRef b = present(bias) ? bias.buffer.sub(uint64_t(o0) * 4, uint64_t(cols) * 4) : range(x);
      cl.dispatch(wide ? ShaderId::linear_forward_gemv64 : ShaderId::linear_forward_gemv, spec,
                  {{range(x), Access::read}, {w, Access::read}, {b, Access::read}, {c, Access::write}}, push,
                  groups_for(cols, 8));
    }
    return {};
  }
  // y(N,OUT) = x(N,IN) · W(OUT,IN)ᵀ: A = x, B(k,o) = W[o*IN + k], C = y; one slice of
  // output columns o0..o0+cols per matmul.
  for (uint32_t o0 = 0; o0 < d.out; o0 += rows) {
    const uint32_t cols = std::min(rows, d.out - o0);
    MatmulDesc m;
    m.M = d.n, m.N = cols, m.K = d.in;
    m.a_m = d.in, m.a_k = 1;
    m.b_k = 1, m.b_n = d.in;
    m.c_m = d.out, m.c_n = 1;
    m.bias = present(bias) ? MatmulDesc::Bias::per_column : MatmulDesc::Bias::none;
    m.relu = p.relu;
    const BufferRef w = weight.buffer.sub(uint64_t(o0) * d.in * 4, uint64_t(cols) * d.in * 4);
    const BufferRef c = y.buffer.sub(uint64_t(o0) * 4, (uint64_t(d.n) * d.out - o0) * 4);
    const BufferRef b = present(bias) ? bias.buffer.sub(uint64_t(o0) * 4, uint64_t(cols) * 4) : BufferRef{};
    VKNN_TRY(record_matmul(cl, m, range(x), w, b, c));
  }
  return {};
}

Status record_linear_backward_data(CommandList& cl, const TensorView& dy, const TensorView& weight,
                                   const TensorView& dx, bool accumulate) {
  constexpr const char* op = "linear_backward_data";
  VKNN_ASSIGN(const Dims d, check_dims(op, "dx", dx, "weight", weight, "dy", dy, cl));
  if (range(dx).overlaps(range(dy)) || range(dx).overlaps(range(weight)))
    return make_error(Errc::invalid_argument, "linear_backward_data: dx {} overlaps dy {} or the weight {}", dx.str(),
                      dy.str(), weight.str());
  VKNN_ASSIGN(const uint32_t rows, rows_per_slice(op, weight, cl));
  // dx(N,IN) = dy(N,OUT) · W(OUT,IN), the sum over OUT split into slices that accumulate.
  for (uint32_t o0 = 0; o0 < d.out; o0 += rows) {
    const uint32_t ks = std::min(rows, d.out - o0);
    MatmulDesc m;
    m.M = d.n, m.N = d.in, m.K = ks;
    m.a_m = d.out, m.a_k = 1;
    m.b_k = d.in, m.b_n = 1;
    m.c_m = d.in, m.c_n = 1;
    m.accumulate = accumulate || o0 > 0;
    const BufferRef a = dy.buffer.sub(uint64_t(o0) * 4, (uint64_t(d.n) * d.out - o0) * 4);
    const BufferRef w = weight.buffer.sub(uint64_t(o0) * d.in * 4, uint64_t(ks) * d.in * 4);
    VKNN_TRY(record_matmul(cl, m, a, w, {}, range(dx)));
  }
  return {};
}

Status record_linear_backward_weight(CommandList& cl, const TensorView& dy, const TensorView& x,
                                     const TensorView& dweight, bool accumulate) {
  constexpr const char* op = "linear_backward_weight";
  VKNN_ASSIGN(const Dims d, check_dims(op, "x", x, "dweight", dweight, "dy", dy, cl));
  if (range(dweight).overlaps(range(dy)) || range(dweight).overlaps(range(x)))
    return make_error(Errc::invalid_argument, "linear_backward_weight: dweight {} overlaps dy {} or x {}",
                      dweight.str(), dy.str(), x.str());
  VKNN_ASSIGN(const uint32_t rows, rows_per_slice(op, dweight, cl));
  // dW(OUT,IN) = dy(N,OUT)ᵀ · x(N,IN): A(o,n) = dy[n*OUT + o], B = x, one slice of rows of dW.
  for (uint32_t o0 = 0; o0 < d.out; o0 += rows) {
    const uint32_t ms = std::min(rows, d.out - o0);
    MatmulDesc m;
    m.M = ms, m.N = d.in, m.K = d.n;
    m.a_m = 1, m.a_k = d.out;
    m.b_k = d.in, m.b_n = 1;
    m.c_m = d.in, m.c_n = 1;
    m.accumulate = accumulate;
    const BufferRef a = dy.buffer.sub(uint64_t(o0) * 4, (uint64_t(d.n) * d.out - o0) * 4);
    const BufferRef c = dweight.buffer.sub(uint64_t(o0) * d.in * 4, uint64_t(ms) * d.in * 4);
    VKNN_TRY(record_matmul(cl, m, a, range(x), {}, c));
  }
  return {};
}

Status record_linear_backward_bias(CommandList& cl, const TensorView& dy, const TensorView& dbias, bool accumulate) {
  constexpr const char* op = "linear_backward_bias";
  VKNN_TRY(check_rank(op, "dy", dy, 2));
  VKNN_TRY(check_shape(op, "dbias", dbias, Shape{dy.shape[1]}));
  return sum(cl, op, dy, dbias, uint32_t(dy.shape[0]), uint32_t(dy.shape[1]), 1, accumulate);
}

Status record_sum_rows(CommandList& cl, const TensorView& x, const TensorView& out, bool accumulate) {
  constexpr const char* op = "sum_rows";
  VKNN_TRY(check_rank(op, "x", x, 2));
  VKNN_TRY(check_shape(op, "out", out, Shape{x.shape[1]}));
  return sum(cl, op, x, out, uint32_t(x.shape[0]), uint32_t(x.shape[1]), 1, accumulate);
}

Status record_channel_sum(CommandList& cl, const TensorView& x, const TensorView& out, bool accumulate) {
  constexpr const char* op = "channel_sum";
  VKNN_TRY(check_rank(op, "x", x, 4));
  VKNN_TRY(check_shape(op, "out", out, Shape{x.shape[1]}));
  return sum(cl, op, x, out, uint32_t(x.shape[0]), uint32_t(x.shape[1]), uint32_t(x.shape[2] * x.shape[3]),
             accumulate);
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct LinearBackwardNode final : OpNode {
  enum class What { data, weight, bias } what = What::data;
  bool accumulate = false;
  const char* type() const override {
    return what == What::data ? "linear_backward_data" : what == What::weight ? "linear_backward_weight" : "linear_backward_bias";
  }
  // data: in dy, weight -> dx; weight: in dy, x -> dweight; bias: in dy -> dbias
  Status record(CommandList& cl, const NodeIO& io) const override {
    switch (what) {
      case What::data: return record_linear_backward_data(cl, io.in[0], io.in[1], io.out[0], accumulate);
      case What::weight: return record_linear_backward_weight(cl, io.in[0], io.in[1], io.out[0], accumulate);
      case What::bias: return record_linear_backward_bias(cl, io.in[0], io.out[0], accumulate);
    }
    return {};
  }
  double flops(const Graph& g, const Node& n) const override {
    return what == What::bias ? double(g.shape(n.inputs[0]).numel())
                              : 2.0 * double(g.shape(n.inputs[0]).numel()) * double(g.shape(n.inputs[1])[1]);
  }
};

struct LinearNode final : OpNode {
  LinearParams p;
  bool has_bias = false;
  const char* type() const override { return "linear"; }
  // in: x, weight[, bias]; out: y
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_linear_forward(cl, p, io.in[0], io.in[1], has_bias ? io.in[2] : TensorView{}, io.out[0]);
  }
  Status backward(BackwardBuilder& b) const override {
    TensorId dy = b.grad_output(0);
    if (!dy.valid()) return {};
    if (p.relu) {  // the fused ReLU's backward first: dy masked by y > 0
      TensorId masked = b.temp("relu_grad", b.graph().shape(dy));
      b.add_node("relu", make_relu_backward_node(false), {b.output(0), dy}, {masked});
      dy = masked;
    }
    auto add = [&](size_t input, LinearBackwardNode::What what, std::vector<TensorId> ins) {
      auto target = b.grad_input(input);
      auto node = std::make_shared<LinearBackwardNode>();
      node->what = what;
      node->accumulate = target.accumulate;
      ins.insert(ins.begin(), dy);
      b.add_node(what == LinearBackwardNode::What::data ? "data" : what == LinearBackwardNode::What::weight ? "weight" : "bias",
                 node, ins, {target.tensor});
    };
    if (b.needs_grad(1)) add(1, LinearBackwardNode::What::weight, {b.input(0)});
    if (has_bias && b.needs_grad(2)) add(2, LinearBackwardNode::What::bias, {});
    if (b.needs_grad(0)) add(0, LinearBackwardNode::What::data, {b.input(1)});
    return {};
  }
  double flops(const Graph& g, const Node& n) const override {
    return 2.0 * double(g.shape(n.outputs[0]).numel()) * double(g.shape(n.inputs[1])[1]);
  }
};

}  // namespace

TensorId linear(Graph& g, TensorId x, TensorId weight, TensorId bias, const LinearParams& p, const std::string& name) {
  if (!g.accepts({x, weight}, name) || (bias.valid() && !g.accepts({bias}, name))) return {};
  const Shape& xs = g.shape(x);
  const Shape& ws = g.shape(weight);
  VKNN_GRAPH_CHECK(g, xs.rank() == 2 && ws.rank() == 2 && xs[1] == ws[1],
                   "linear '{}': input '{}' {} does not fit weight '{}' {} (expects (N,IN) and (OUT,IN))", name,
                   g.desc(x).name, xs.str(), g.desc(weight).name, ws.str());
  if (bias.valid())
    VKNN_GRAPH_CHECK(g, g.shape(bias) == Shape{ws[0]}, "linear '{}': bias '{}' {} should be ({})", name, g.desc(bias).name,
                     g.shape(bias).str(), ws[0]);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, Shape{xs[0], ws[0]}, Role::activation);
  auto node = std::make_shared<LinearNode>();
  node->p = p;
  node->has_bias = bias.valid();
  std::vector<TensorId> ins = {x, weight};
  if (bias.valid()) ins.push_back(bias);
  g.add_node(n, node, ins, {y});
  return y;
}

const LinearParams* linear_params(const Node& n) {
  const auto* l = dynamic_cast<const LinearNode*>(n.op.get());
  return l ? &l->p : nullptr;
}

}  // namespace vknn
