#include "vknn/ops/batchnorm_fold.h"

#include "vknn/ops/add.h"

namespace vknn {
namespace {

struct BatchNormFoldPush {  // mirrors the push block of shaders/batchnorm_fold.comp
  uint32_t count, per_channel, K, flags;
  float eps;
};
static_assert(sizeof(BatchNormFoldPush) == 20);

constexpr uint32_t kFoldBias = 1;

}  // namespace

Status record_batchnorm_fold(CommandList& cl, float eps, const TensorView& w, const TensorView* b,
                             const TensorView& gamma, const TensorView& beta, const TensorView& running_mean,
                             const TensorView& running_var, const TensorView& w_out, const TensorView& b_out) {
  constexpr const char* op = "batchnorm_fold";
  VKNN_TRY(check_rank(op, "w", w, 4));
  VKNN_TRY(check_positive(op, "w", w));
  VKNN_TRY(detail::check_elements(op, "w", w));
  const Shape k{w.shape[0]};
  if (b) VKNN_TRY(check_shape(op, "b", *b, k));
  VKNN_TRY(check_shape(op, "gamma", gamma, k));
  VKNN_TRY(check_shape(op, "beta", beta, k));
  VKNN_TRY(check_shape(op, "running_mean", running_mean, k));
  VKNN_TRY(check_shape(op, "running_var", running_var, k));
  VKNN_TRY(check_shape(op, "w_out", w_out, w.shape));
  VKNN_TRY(check_shape(op, "b_out", b_out, k));
  if (!(eps >= 0.0f))
    return make_error(Errc::invalid_argument, "{}: eps must be a non-negative number, got {}", op, eps);
  for (const TensorView* out : {&w_out, &b_out})
    for (const TensorView* in : {&w, b, &gamma, &beta, &running_mean, &running_var})
      if (in && range(*out).overlaps(range(*in)))
        return make_error(Errc::invalid_argument, "{}: an output ({}) overlaps an input ({})", op, out->str(),
                          in->str());
  if (range(w_out).overlaps(range(b_out)))
    return make_error(Errc::invalid_argument, "{}: w_out {} overlaps b_out {}", op, w_out.str(), b_out.str());
  // One binding for the whole weight: a convolution weight of 2^25 floats or more is refused.
  if (w.shape.bytes() > detail::max_binding_floats(cl.context()) * 4)
    return make_error(Errc::unsupported, "{}: w {} is larger than one storage-buffer binding of this device", op,
                      w.str());
  const uint32_t count = uint32_t(w.numel()), channels = uint32_t(w.shape[0]);
  const BatchNormFoldPush push{count, count / channels, channels, b ? kFoldBias : 0u, eps};
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  cl.dispatch(ShaderId::batchnorm_fold, spec,
              {{range(w), Access::read},
               {b ? range(*b) : range(w), Access::read},  // an unused binding still needs a buffer
               {range(gamma), Access::read},
               {range(beta), Access::read},
               {range(running_mean), Access::read},
               {range(running_var), Access::read},
               {range(w_out), Access::write},
               {range(b_out), Access::write}},
              push, groups_for(std::max(count, channels), spec[0]));
  return {};
}

namespace {

struct BatchNormFoldNode final : OpNode {
  float eps = 1e-5f;
  bool has_bias = false;
  const char* type() const override { return "batchnorm_fold"; }
  // in: w[, b], gamma, beta, running_mean, running_var; out: w', b'
  Status record(CommandList& cl, const NodeIO& io) const override {
    const size_t o = has_bias ? 1 : 0;
    return record_batchnorm_fold(cl, eps, io.in[0], has_bias ? &io.in[1] : nullptr, io.in[1 + o], io.in[2 + o],
                                 io.in[3 + o], io.in[4 + o], io.out[0], io.out[1]);
  }
  double flops(const Graph& g, const Node& n) const override { return double(g.shape(n.inputs[0]).numel()); }
};

}  // namespace

std::shared_ptr<const OpNode> make_batchnorm_fold_node(float eps, bool has_bias) {
  auto node = std::make_shared<BatchNormFoldNode>();
  node->eps = eps;
  node->has_bias = has_bias;
  return node;
}

}  // namespace vknn
