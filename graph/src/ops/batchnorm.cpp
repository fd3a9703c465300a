#include "vknn/ops/batchnorm.h"

#include "../rewrite.h"
#include "vknn/ops/add.h"

#include <cmath>
#include <cstdint>

namespace vknn {
namespace {

struct BatchNormPush {  // mirrors shaders/common/batchnorm_push.glsl
  uint32_t total, N, C, HW;
  uint32_t flags;
  float eps, momentum, inv_m, unbias;
};
static_assert(sizeof(BatchNormPush) == 36);

constexpr uint32_t kTraining = 1, kRelu = 2, kAccumulateDx = 4, kAccumulateParams = 8, kSave = 16, kGiven = 32;

Status check_params(const char* op, const BatchNormParams& p) {
  if (!(p.eps > 0.0f) || !std::isfinite(p.eps))
    return make_error(Errc::invalid_argument, "{}: eps must be positive and finite, got {}", op, p.eps);
  if (p.training && !(p.momentum >= 0.0f && p.momentum <= 1.0f))
    return make_error(Errc::invalid_argument, "{}: momentum must be in [0, 1], got {}", op, p.momentum);
  return {};
}

Status check_x(const char* op, const char* name, const TensorView& x) {
  VKNN_TRY(check_rank(op, name, x, 4));
  if (uint64_t(x.numel()) > UINT32_MAX)
    return make_error(Errc::invalid_argument, "{}: {} {} has more than 2^32-1 elements", op, name, x.str());
  return {};
}

// A per-channel tensor must be (C) for x (N,C,H,W).
Status check_channel(const char* op, const char* name, const TensorView& t, const TensorView& x) {
  if (t.shape != Shape{x.shape[1]})
    return make_error(Errc::invalid_argument, "{}: {} has shape {}, expected ({}) for x {}", op, name, t.str(),
                      x.shape[1], x.str());
  return check_positive(op, name, t);
}

bool is_empty(const TensorView& t) { return !t.buffer.valid() && t.shape.rank() == 0; }

BatchNormPush make_push(const BatchNormParams& p, const TensorView& x, uint32_t flags) {
  const int64_t N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3];
  const double M = double(N * HW);
  if (p.training) flags |= kTraining;
  if (p.relu) flags |= kRelu;
  return {uint32_t(x.numel()), uint32_t(N), uint32_t(C), uint32_t(HW), flags, p.eps, p.momentum,
          float(1.0 / M), float(M > 1 && !p.biased_running_var ? M / (M - 1) : 1.0)};
}

}  // namespace

BatchNormVariant resolve_batchnorm_variant(const DeviceProfile& profile, BatchNormVariant requested) {
  if (requested != BatchNormVariant::automatic) return requested;
  // On CPU drivers an invocation per element pays lavapipe's per-invocation overhead on
  // every element; a register loop per invocation amortizes it (measured ~2.7x faster).
  return profile.family(KernelClass::batchnorm) == KernelFamily::register_blocked ? BatchNormVariant::per_channel
                                                                                   : BatchNormVariant::elementwise;
}

Status record_batchnorm_forward(CommandList& cl, const BatchNormParams& p, const TensorView& x,
                                const TensorView& gamma, const TensorView& beta, const TensorView& running_mean,
                                const TensorView& running_var, const TensorView& y, const TensorView& save_mean,
                                const TensorView& save_invstd, const TensorView& given) {
  constexpr const char* op = "batchnorm_forward";
  VKNN_TRY(check_params(op, p));
  VKNN_TRY(check_x(op, "x", x));
  VKNN_TRY(check_channel(op, "gamma", gamma, x));
  VKNN_TRY(check_channel(op, "beta", beta, x));
  VKNN_TRY(check_channel(op, "running_mean", running_mean, x));
  VKNN_TRY(check_channel(op, "running_var", running_var, x));
  VKNN_TRY(check_shape(op, "y", y, x.shape));
  const bool save = !(is_empty(save_mean) && is_empty(save_invstd));
  if (p.training && !save)
    return make_error(Errc::invalid_argument, "{}: training needs save_mean and save_invstd of shape ({}) for x {}", op,
                      x.shape[1], x.str());
  if (save) {
    VKNN_TRY(check_channel(op, "save_mean", save_mean, x));
    VKNN_TRY(check_channel(op, "save_invstd", save_invstd, x));
  }
  const bool use_given = p.training && !is_empty(given);
  if (use_given) VKNN_TRY(check_shape(op, "given (mean, var, unbiased var)", given, Shape{3, x.shape[1]}));
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(), {{"x", &x}, {"y", &y}}));

  if (!save && resolve_batchnorm_variant(cl.context().profile(), p.variant) == BatchNormVariant::elementwise) {
    const BatchNormPush push = make_push(p, x, 0);
    const uint32_t spec[] = {cl.context().profile().elementwise_local};
    // (H*W, C, N) invocations
    cl.dispatch(half ? ShaderId::batchnorm_inference_f16 : ShaderId::batchnorm_inference, spec,
                {{range(x), Access::read},
                 {range(gamma), Access::read},
                 {range(beta), Access::read},
                 {range(running_mean), Access::read},
                 {range(running_var), Access::read},
                 {range(y), Access::write}},
                push, groups_for(push.HW, spec[0]), push.C, push.N);
    return {};
  }
  // One workgroup per channel: training, inference that saves its statistics, or the
  // per_channel inference variant. Without saved statistics the save bindings are unused;
  // they get (the start of) y, which the dispatch writes anyway, so that no tool that
  // judges accesses from the shader alone sees a write to a buffer declared read-only.
  const BatchNormPush push = make_push(p, x, (p.training || !save ? 0 : kSave) | (use_given ? kGiven : 0));
  // The shader declares the running statistics read-write (it updates them when training),
  // and synchronization validation judges accesses by that declaration, so the recorder must
  // order them as writes even in inference.
  const Access running = Access::read_write;
  const uint32_t spec[] = {cl.context().profile().reduction_local};
  cl.dispatch(half ? ShaderId::batchnorm_forward_f16 : ShaderId::batchnorm_forward, spec,
              {{range(x), Access::read},
               {range(gamma), Access::read},
               {range(beta), Access::read},
               {range(running_mean), running},
               {range(running_var), running},
               {range(y), Access::write},
               {save ? range(save_mean) : range(y), Access::write},
               {save ? range(save_invstd) : range(y), Access::write},
               {use_given ? range(given) : range(x), Access::read}},  // unread without BN_GIVEN
              push, uint32_t(x.shape[1]));
  return {};
}

Status record_batchnorm_backward(CommandList& cl, const BatchNormParams& p, const TensorView& x,
                                 const TensorView& gamma, const TensorView& save_mean,
                                 const TensorView& save_invstd, const TensorView& y, const TensorView& dy,
                                 const TensorView& dx, const TensorView& dgamma, const TensorView& dbeta,
                                 bool accumulate_dx, bool accumulate_params, const TensorView& given) {
  constexpr const char* op = "batchnorm_backward";
  VKNN_TRY(check_params(op, p));
  VKNN_TRY(check_x(op, "x", x));
  VKNN_TRY(check_channel(op, "gamma", gamma, x));
  VKNN_TRY(check_channel(op, "save_mean", save_mean, x));
  VKNN_TRY(check_channel(op, "save_invstd", save_invstd, x));
  if (p.relu) VKNN_TRY(check_shape(op, "y (the forward output, for the fused ReLU)", y, x.shape));
  VKNN_TRY(check_shape(op, "dy", dy, x.shape));
  VKNN_TRY(check_shape(op, "dx", dx, x.shape));
  VKNN_TRY(check_channel(op, "dgamma", dgamma, x));
  VKNN_TRY(check_channel(op, "dbeta", dbeta, x));
  const bool use_given = p.training && !is_empty(given);
  if (use_given) VKNN_TRY(check_shape(op, "given (means of g and g*xhat)", given, Shape{2, x.shape[1]}));
  // x and y (the saved forward tensors) may be fp16; the gradients are fp32.
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(), {{"x", &x}, {"y", p.relu ? &y : nullptr}}));
  VKNN_TRY(check_dtype(op, "dy", dy, DType::f32));
  VKNN_TRY(check_dtype(op, "dx", dx, DType::f32));
  const uint32_t flags = (accumulate_dx ? kAccumulateDx : 0) | (accumulate_params ? kAccumulateParams : 0) |
                         (use_given ? kGiven : 0);
  const BatchNormPush push = make_push(p, x, flags);
  const auto params_access = accumulate_params ? Access::read_write : Access::write;
  const uint32_t spec[] = {cl.context().profile().reduction_local};
  cl.dispatch(half ? ShaderId::batchnorm_backward_f16 : ShaderId::batchnorm_backward, spec,
              {{range(x), Access::read},
               {range(gamma), Access::read},
               {range(save_mean), Access::read},
               {range(save_invstd), Access::read},
               {range(p.relu ? y : dy), Access::read},  // unread without the ReLU mask
               {range(dy), Access::read},
               {range(dx), accumulate_dx ? Access::read_write : Access::write},
               {range(dgamma), params_access},
               {range(dbeta), params_access},
               {use_given ? range(given) : range(x), Access::read}},  // unread without BN_GIVEN
              push, uint32_t(x.shape[1]));
  return {};
}

Status record_batchnorm_moments(CommandList& cl, const TensorView& x, const TensorView& moments) {
  constexpr const char* op = "batchnorm_moments";
  VKNN_TRY(check_x(op, "x", x));
  VKNN_TRY(check_dtype(op, "x", x, DType::f32));  // no fp16 variant
  VKNN_TRY(check_shape(op, "moments", moments, Shape{2, x.shape[1]}));
  const BatchNormPush push = make_push(BatchNormParams{}, x, 0);
  const uint32_t spec[] = {cl.context().profile().reduction_local};
  cl.dispatch(ShaderId::batchnorm_moments, spec, {{range(x), Access::read}, {range(moments), Access::write}}, push,
              uint32_t(x.shape[1]));
  return {};
}

Status record_batchnorm_backward_reduce(CommandList& cl, const BatchNormParams& p, const TensorView& x,
                                        const TensorView& save_mean, const TensorView& save_invstd,
                                        const TensorView& y, const TensorView& dy, const TensorView& sums) {
  constexpr const char* op = "batchnorm_backward_reduce";
  VKNN_TRY(check_x(op, "x", x));
  VKNN_TRY(check_dtype(op, "x", x, DType::f32));  // no fp16 variant
  VKNN_TRY(check_channel(op, "save_mean", save_mean, x));
  VKNN_TRY(check_channel(op, "save_invstd", save_invstd, x));
  if (p.relu) VKNN_TRY(check_shape(op, "y (the forward output, for the fused ReLU)", y, x.shape));
  VKNN_TRY(check_shape(op, "dy", dy, x.shape));
  VKNN_TRY(check_shape(op, "sums", sums, Shape{2, x.shape[1]}));
  const BatchNormPush push = make_push(p, x, 0);
  const uint32_t spec[] = {cl.context().profile().reduction_local};
  cl.dispatch(ShaderId::batchnorm_backward_reduce, spec,
              {{range(x), Access::read},
               {range(save_mean), Access::read},
               {range(save_invstd), Access::read},
               {range(p.relu ? y : dy), Access::read},  // unread without the ReLU mask
               {range(dy), Access::read},
               {range(sums), Access::write}},
              push, uint32_t(x.shape[1]));
  return {};
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct BatchNormBackwardNode final : OpNode {
  BatchNormParams p;
  bool accumulate_dx = false, accumulate_params = false;
  const char* type() const override { return "batchnorm_backward"; }
  bool half_backward_reads(size_t index) const override { return index == 0 || (index == 4 && p.relu); }  // x, y
  // in: x, gamma, save_mean, save_invstd, y (dy again without the fused ReLU), dy (, means
  // of g and g*xhat over every process when synchronized); out: dx, dgamma, dbeta
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_batchnorm_backward(cl, p, io.in[0], io.in[1], io.in[2], io.in[3], io.in[4], io.in[5], io.out[0],
                                     io.out[1], io.out[2], accumulate_dx, accumulate_params,
                                     io.in.size() > 6 ? io.in[6] : TensorView{});
  }
};

// Synchronized batch norm, on the device: this process's per-channel moments (forward) and
// sums (backward).
struct BatchNormMomentsNode final : OpNode {
  const char* type() const override { return "batchnorm_moments"; }
  bool training_only() const override { return true; }
  // in: x; out: moments (2,C) = (mean, M2) of this process's share
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_batchnorm_moments(cl, io.in[0], io.out[0]);
  }
};

struct BatchNormBackwardReduceNode final : OpNode {
  BatchNormParams p;
  const char* type() const override { return "batchnorm_backward_reduce"; }
  // in: x, save_mean, save_invstd, y (dy again without the fused ReLU), dy; out: sums (2,C) = (sum g, sum g*xhat)
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_batchnorm_backward_reduce(cl, p, io.in[0], io.in[1], io.in[2], io.in[3], io.in[4], io.out[0]);
  }
};

// ... and on the host, over every process (HostCollective). Each process contributes its
// element count per channel with its values, so the combination is right for any shares;
// the gathered values are combined in rank order in double, so every process gets the
// same result.
// This process's element count per channel and its (2,C) values, gathered from every process:
// rank-major rows of 1 + 2C doubles, the count first. Both synchronizing host nodes send this.
Result<std::vector<double>> gather_counted(const HostIO& io, double count, size_t C, const std::string& what) {
  std::vector<double> mine(1 + 2 * C);
  mine[0] = count;
  for (size_t i = 0; i < 2 * C; ++i) mine[1 + i] = io.in[0][i];
  std::vector<double> all(size_t(io.collective->size()) * mine.size());
  VKNN_TRY(io.collective->allgather(mine, all, what));
  return all;
}

struct BatchNormSyncStatsNode final : OpNode {
  std::string name;
  double count = 0;  // elements per channel in this process's share (N*H*W)
  const char* type() const override { return "batchnorm_sync_stats"; }
  bool host() const override { return true; }
  bool training_only() const override { return true; }
  Status record(CommandList&, const NodeIO&) const override {
    return make_error(Errc::invalid_argument, "batchnorm_sync_stats '{}' runs on the host", name);
  }
  // in: moments (2,C) = (mean, M2) of this process; out: (3,C) = (mean, biased var, unbiased
  // var) of the whole batch. Chan, Golub and LeVeque's combination of (count, mean, M2):
  //   mean = sum_r n_r mean_r / n,  M2 = sum_r M2_r + sum_r n_r (mean_r - mean)^2.
  Status run_host(const HostIO& io) const override {
    const size_t C = io.out[0].size() / 3;
    VKNN_ASSIGN(const std::vector<double> all,
                gather_counted(io, count, C, fmt::format("batch statistics of batchnorm '{}'", name)));
    const size_t row = 1 + 2 * C, R = all.size() / row;
    for (size_t c = 0; c < C; ++c) {
      double n = 0, sum = 0;
      for (size_t r = 0; r < R; ++r) {
        const double* v = &all[r * row];
        n += v[0];
        sum += v[0] * v[1 + c];
      }
      const double mean = sum / n;
      double m2 = 0;
      for (size_t r = 0; r < R; ++r) {
        const double* v = &all[r * row];
        const double d = v[1 + c] - mean;
        m2 += v[1 + C + c] + v[0] * d * d;
      }
      io.out[0][c] = float(mean);
      io.out[0][C + c] = float(m2 / n);
      io.out[0][2 * C + c] = float(n > 1 ? m2 / (n - 1) : m2 / n);
    }
    return {};
  }
};

struct BatchNormSyncSumsNode final : OpNode {
  std::string name;
  double count = 0;
  const char* type() const override { return "batchnorm_sync_sums"; }
  bool host() const override { return true; }
  Status record(CommandList&, const NodeIO&) const override {
    return make_error(Errc::invalid_argument, "batchnorm_sync_sums '{}' runs on the host", name);
  }
  // in: sums (2,C) = (sum g, sum g*xhat) of this process; out: (2,C) the same sums over
  // every process divided by the whole batch's element count per channel.
  Status run_host(const HostIO& io) const override {
    const size_t C = io.out[0].size() / 2;
    VKNN_ASSIGN(const std::vector<double> all,
                gather_counted(io, count, C, fmt::format("gradient sums of batchnorm '{}'", name)));
    const size_t row = 1 + 2 * C, R = all.size() / row;
    for (size_t i = 0; i < 2 * C; ++i) {
      double n = 0, sum = 0;
      for (size_t r = 0; r < R; ++r) {
        n += all[r * row];
        sum += all[r * row + 1 + i];
      }
      io.out[0][i] = float(sum / n);
    }
    return {};
  }
};

struct BatchNormNode final : OpNode {
  BatchNormParams p;
  const char* type() const override { return "batchnorm"; }
  // x and y in fp16; the per-channel tensors stay fp32. Not synchronized: its moments node
  // reads x in fp32.
  bool half_storage() const override { return !p.sync; }
  bool half_tensor(bool, size_t index) const override { return index == 0; }
  // in: x, gamma, beta (, the whole batch's statistics when synchronized); out: y,
  // save_mean, save_invstd, running_mean, running_var
  Status record(CommandList& cl, const NodeIO& io) const override {
    BatchNormParams q = p;
    q.training = io.training || p.batch_statistics_always;
    // The inference pass has no batch statistics (their nodes are training_only).
    const TensorView given = p.sync && io.training ? io.in[3] : TensorView{};
    return record_batchnorm_forward(cl, q, io.in[0], io.in[1], io.in[2], io.out[3], io.out[4], io.out[0], io.out[1],
                                    io.out[2], given);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    const Shape xs = b.graph().shape(b.input(0)), cs = b.graph().shape(b.input(1));
    auto dx = b.needs_grad(0) ? b.grad_input(0) : BackwardBuilder::GradTarget{b.temp("dx", xs), false};
    // gamma and beta are trained (or frozen) together.
    BackwardBuilder::GradTarget dgamma{b.temp("dgamma", cs), false}, dbeta{b.temp("dbeta", cs), false};
    if (b.needs_grad(1)) dgamma = b.grad_input(1);
    if (b.needs_grad(2)) dbeta = b.grad_input(2);
    auto node = std::make_shared<BatchNormBackwardNode>();
    node->p = p;
    node->accumulate_dx = dx.accumulate;
    node->accumulate_params = dgamma.accumulate;
    VKNN_GRAPH_CHECK(b.graph(), dgamma.accumulate == dbeta.accumulate, "batchnorm '{}': gamma and beta gradients out of step",
                     b.node().name);
    // y only for the ReLU's mask: without it dy stands in, so that y need not be kept.
    const TensorId y = p.relu ? b.output(0) : b.grad_output(0);
    std::vector<TensorId> in{b.input(0), b.input(1), b.output(1), b.output(2), y, b.grad_output(0)};
    if (p.sync) {
      // dx needs the sums of g and g*xhat over every process: the device reduces this
      // process's share, the host adds the processes' (a step of its own), the device goes on.
      const Shape two{2, xs[1]};
      TensorId sums = b.temp("sums", two), means = b.temp("means", two);
      auto reduce = std::make_shared<BatchNormBackwardReduceNode>();
      reduce->p = p;
      b.add_node("reduce", reduce, {b.input(0), b.output(1), b.output(2), y, b.grad_output(0)}, {sums});
      auto sync = std::make_shared<BatchNormSyncSumsNode>();
      sync->name = b.node().name;
      sync->count = double(xs[0] * xs[2] * xs[3]);
      b.add_node("sync", sync, {sums}, {means});
      in.push_back(means);
    }
    b.add_node("", node, in, {dx.tensor, dgamma.tensor, dbeta.tensor});
    return {};
  }
  double flops(const Graph& g, const Node& n) const override { return 8.0 * double(g.shape(n.inputs[0]).numel()); }
};

}  // namespace

Result<size_t> synchronize_batchnorm(Graph& g) {
  VKNN_TRY(g.status());
  for (const Node& n : g.nodes())
    if (n.phase != Phase::forward)
      return make_error(Errc::invalid_argument,
                        "synchronize_batchnorm: node '{}' is not a forward node; synchronize before build_backward",
                        n.name);
  Graph out = detail::tensors_only(g);
  size_t synchronized = 0;
  for (const Node& n : g.nodes()) {
    out.set_target(n.target);
    const auto* bn = dynamic_cast<const BatchNormNode*>(n.op.get());
    if (bn && bn->p.biased_running_var)
      return make_error(Errc::unsupported,
                        "synchronize_batchnorm: node '{}' updates its running variance with the biased variance (ONNX's "
                        "training-mode form); synchronized batch norm takes the unbiased one",
                        n.name);
    if (!bn || !bn->p.training || bn->p.sync) {
      out.add_node(n.name, n.op, n.inputs, n.outputs, n.phase);
      continue;
    }
    const Shape& xs = out.shape(n.inputs[0]);
    TensorId moments = out.tensor(out.unique_name(n.name + ".moments"), Shape{2, xs[1]}, Role::activation);
    TensorId stats = out.tensor(out.unique_name(n.name + ".batch_stats"), Shape{3, xs[1]}, Role::activation);
    out.add_node(n.name + ".moments", std::make_shared<BatchNormMomentsNode>(), {n.inputs[0]}, {moments});
    auto sync = std::make_shared<BatchNormSyncStatsNode>();
    sync->name = n.name;
    sync->count = double(xs[0] * xs[2] * xs[3]);
    out.add_node(n.name + ".sync", sync, {moments}, {stats});
    auto node = std::make_shared<BatchNormNode>(*bn);
    node->p.sync = true;
    std::vector<TensorId> inputs = n.inputs;
    inputs.push_back(stats);
    out.add_node(n.name, node, inputs, n.outputs, n.phase);
    ++synchronized;
  }
  VKNN_TRY(out.status());
  g = std::move(out);
  return synchronized;
}

const BatchNormParams* batchnorm_params(const Node& n) {
  const auto* b = dynamic_cast<const BatchNormNode*>(n.op.get());
  return b ? &b->p : nullptr;
}

TensorId batchnorm(Graph& g, TensorId x, const std::string& name, const BatchNormParams& p) {
  if (!g.accepts({x}, name)) return {};
  const Shape& s = g.shape(x);
  VKNN_GRAPH_CHECK(g, s.rank() == 4, "batchnorm '{}': input '{}' must be (N,C,H,W), got {}", name, g.desc(x).name,
                   s.str());
  const Shape c{s[1]};
  // torchvision's state_dict names: <name>.weight, .bias, .running_mean, .running_var
  TensorId gamma = g.parameter(name + ".weight", c, Init::constant(1.0f));
  TensorId beta = g.parameter(name + ".bias", c, Init::zeros());
  TensorId running_mean = g.state(name + ".running_mean", c, Init::zeros());
  TensorId running_var = g.state(name + ".running_var", c, Init::constant(1.0f));
  return batchnorm(g, x, gamma, beta, running_mean, running_var, name, p);
}

TensorId batchnorm(Graph& g, TensorId x, TensorId gamma, TensorId beta, TensorId running_mean, TensorId running_var,
                   const std::string& name, const BatchNormParams& p) {
  if (!g.accepts({x, gamma, beta, running_mean, running_var}, name)) return {};
  const Shape& s = g.shape(x);
  VKNN_GRAPH_CHECK(g, s.rank() == 4, "batchnorm '{}': input '{}' must be (N,C,H,W), got {}", name, g.desc(x).name,
                   s.str());
  const Shape c{s[1]};
  for (TensorId t : {gamma, beta, running_mean, running_var})
    VKNN_GRAPH_CHECK(g, g.shape(t) == c, "batchnorm '{}': '{}' {} should be {} for input '{}' {}", name,
                     g.desc(t).name, g.shape(t).str(), c.str(), g.desc(x).name, s.str());
  for (TensorId t : {running_mean, running_var})
    VKNN_GRAPH_CHECK(g, g.desc(t).role == Role::state && g.desc(t).producer < 0,
                     "batchnorm '{}': running statistic '{}' must be a state tensor no other node writes", name,
                     g.desc(t).name);
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n + ".out", s, Role::activation);
  TensorId save_mean = g.tensor(n + ".save_mean", c, Role::activation);
  TensorId save_invstd = g.tensor(n + ".save_invstd", c, Role::activation);
  auto node = std::make_shared<BatchNormNode>();
  node->p = p;
  g.add_node(n, node, {x, gamma, beta}, {y, save_mean, save_invstd, running_mean, running_var});
  return y;
}

}  // namespace vknn
