// vknn::api::Network: layers recorded as calls of the op builders, replayed into a graph at a
// session's batch (so the batch is chosen at session creation, as for every model).
#include "state.h"

#include "vknn/vknn.hpp"
#include "vknn/network.hpp"

#include "vknn/ops/activation.h"
#include "vknn/ops/add.h"
#include "vknn/ops/avgpool.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/binary.h"
#include "vknn/ops/concat.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/dropout.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/matmul.h"
#include "vknn/ops/maxpool.h"
#include "vknn/ops/relu.h"
#include "vknn/ops/reshape.h"
#include "vknn/ops/softmax.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

namespace vknn::api {

namespace {

// PyTorch's default Conv2d/Linear initialization bound, 1/sqrt(fan_in).
Init pytorch_default(int64_t fan_in) { return Init::uniform(float(1.0 / std::sqrt(double(std::max<int64_t>(1, fan_in))))); }

int64_t dim(const Graph& g, TensorId x, size_t i) {
  const Shape& s = g.shape(x);
  return s.rank() > i ? s[i] : 1;  // a wrong rank is the builder's to refuse, with its message
}

Pool2dParams pool_params(const Network::Pool& p) {
  Pool2dParams q;
  q.kernel_h = q.kernel_w = p.kernel;
  q.stride_h = q.stride_w = p.stride;
  q.pad_h = q.pad_w = p.pad;
  return q;
}

// An unnamed layer as the C API names it: "maxpool (layer 3)" (values: the input and the
// layers before it). Its op's own shape check runs first under this label, so that a refusal
// says which layer.
std::string layer_label(const char* kind, const std::vector<TensorId>& values) {
  return fmt::format("{} (layer {})", kind, values.size());
}

TensorId refuse_layer(Graph& g, const std::string& label, const vknn::Error& e) {
  const std::string message = e.message.starts_with(label) ? e.message : label + ": " + e.message;
  return TensorId(g.refuse(make_error(Errc::invalid_argument, "{}", message)));
}

}  // namespace

Network::Network(int64_t channels, int64_t height, int64_t width) : state_(std::make_shared<State>()) {
  state_->channels = channels, state_->height = height, state_->width = width;
  state_->description = fmt::format("input {} {} {}\n", channels, height, width);
}

Network::Value Network::input() const { return {0, state_.get()}; }

TensorId Network::State::arg(const std::vector<TensorId>& values, int32_t i) { return values[size_t(i)]; }

int32_t Network::State::check(Value v, const char* call) const {
  if (v.owner != this || v.index < 0 || v.index > int32_t(layers.size()))
    raise(VKNN_ERROR_INVALID_ARGUMENT,
          fmt::format("Network::{}: the value is not one of this network's (index {})", call, v.index));
  return v.index;
}

Network::Value Network::State::push(const std::string& text, Layer layer) {
  if (output >= 0) raise(VKNN_ERROR_INVALID_ARGUMENT, "Network: a layer added after output()");
  description += fmt::format("{} {}\n", layers.size() + 1, text);
  layers.push_back(std::move(layer));
  return {int32_t(layers.size()), this};
}

Network::Value Network::conv2d(Value x, const std::string& name, const Conv& c) {
  const int32_t i = state_->check(x, "conv2d");
  const std::string text = fmt::format("conv2d {} {} out {} kernel {} stride {} pad {} groups {} bias {}", i, name,
                                       c.out_channels, c.kernel, c.stride, c.pad, c.groups, c.bias);
  return state_->push(text, [=](Graph& g, const std::vector<TensorId>& v) {
    const TensorId in = State::arg(v, i);
    const int64_t channels = dim(g, in, 1), per_group = channels / std::max(1, c.groups);
    // Before the weight, whose shape (K, C/G, R, S) would otherwise be the refusal, naming no cause.
    if (c.groups >= 1 && channels % c.groups != 0)
      return TensorId(g.refuse(make_error(Errc::invalid_argument,
                                          "conv2d '{}': groups {} do not divide its {} input channels ({})", name,
                                          c.groups, channels, g.shape(in).str())));
    const Init init = pytorch_default(per_group * c.kernel * c.kernel);
    const TensorId w = g.parameter(name + ".weight", {c.out_channels, per_group, c.kernel, c.kernel}, init);
    const TensorId b = c.bias ? g.parameter(name + ".bias", {c.out_channels}, init) : TensorId{};
    Conv2dParams p;
    p.stride_h = p.stride_w = c.stride;
    p.pad_h = p.pad_w = c.pad;
    p.groups = c.groups;
    return vknn::conv2d(g, in, w, b, p, name);
  });
}

Network::Value Network::batchnorm(Value x, const std::string& name) {
  const int32_t i = state_->check(x, "batchnorm");
  return state_->push(fmt::format("batchnorm {} {}", i, name), [=](Graph& g, const std::vector<TensorId>& v) { return vknn::batchnorm(g, State::arg(v, i), name); });
}

Network::Value Network::relu(Value x) {
  const int32_t i = state_->check(x, "relu");
  return state_->push(fmt::format("relu {}", i), 
      [=](Graph& g, const std::vector<TensorId>& v) { return vknn::relu(g, State::arg(v, i), g.unique_name("relu")); });
}

Network::Value Network::State::activation(Value x, const char* call, const ActivationParams& p) {
  const int32_t i = check(x, call);
  if (Status s = check_activation_params(fmt::format("Network::{}", call).c_str(), p); !s.ok())
    raise(VKNN_ERROR_INVALID_ARGUMENT, s.error().message);
  return push(fmt::format("{} {} alpha {} beta {}", call, i, p.alpha, p.beta), [=](Graph& g, const std::vector<TensorId>& v) {
    return vknn::activation(g, arg(v, i), p, g.unique_name(call));
  });
}

Network::Value Network::sigmoid(Value x) { return state_->activation(x, "sigmoid", ActivationParams::sigmoid()); }
Network::Value Network::tanh(Value x) { return state_->activation(x, "tanh", ActivationParams::tanh()); }
Network::Value Network::silu(Value x) { return state_->activation(x, "silu", ActivationParams::silu()); }
Network::Value Network::hardswish(Value x) { return state_->activation(x, "hardswish", ActivationParams::hardswish()); }
Network::Value Network::hardsigmoid(Value x) {
  return state_->activation(x, "hardsigmoid", ActivationParams::hardsigmoid());
}
Network::Value Network::leaky_relu(Value x, float slope) {
  return state_->activation(x, "leaky_relu", ActivationParams::leaky_relu(slope));
}
Network::Value Network::clip(Value x, float lo, float hi) {
  return state_->activation(x, "clip", ActivationParams::clip(lo, hi));
}

Network::Value Network::maxpool(Value x, const Pool& p) {
  const int32_t i = state_->check(x, "maxpool");
  return state_->push(fmt::format("maxpool {} kernel {} stride {} pad {}", i, p.kernel, p.stride, p.pad), [=](Graph& g, const std::vector<TensorId>& v) {
    const std::string label = layer_label("maxpool", v);
    if (auto shape = pool2d_output_shape(label.c_str(), pool_params(p), g.shape(State::arg(v, i))); !shape.ok())
      return refuse_layer(g, label, shape.error());
    return vknn::maxpool(g, State::arg(v, i), pool_params(p), g.unique_name("maxpool"));
  });
}

Network::Value Network::avgpool(Value x, const Pool& p) {
  const int32_t i = state_->check(x, "avgpool");
  return state_->push(fmt::format("avgpool {} kernel {} stride {} pad {}", i, p.kernel, p.stride, p.pad), [=](Graph& g, const std::vector<TensorId>& v) {
    AvgPool2dParams q;
    static_cast<Pool2dParams&>(q) = pool_params(p);
    // Average pooling's geometry is max pooling's (without dilation, which Pool has not).
    const std::string label = layer_label("avgpool", v);
    if (auto shape = pool2d_output_shape(label.c_str(), q, g.shape(State::arg(v, i))); !shape.ok())
      return refuse_layer(g, label, shape.error());
    return vknn::avgpool(g, State::arg(v, i), q, g.unique_name("avgpool"));
  });
}

Network::Value Network::global_avgpool(Value x) {
  const int32_t i = state_->check(x, "global_avgpool");
  return state_->push(fmt::format("global_avgpool {}", i), [=](Graph& g, const std::vector<TensorId>& v) {
    return vknn::global_avgpool(g, State::arg(v, i), g.unique_name("global_avgpool"));
  });
}

Network::Value Network::add(Value a, Value b) {
  const int32_t i = state_->check(a, "add"), j = state_->check(b, "add");
  return state_->push(fmt::format("add {} {}", i, j), [=](Graph& g, const std::vector<TensorId>& v) {
    return vknn::add(g, State::arg(v, i), State::arg(v, j), g.unique_name("add"));
  });
}

Network::Value Network::mul(Value a, Value b) {
  const int32_t i = state_->check(a, "mul"), j = state_->check(b, "mul");
  return state_->push(fmt::format("mul {} {}", i, j), [=](Graph& g, const std::vector<TensorId>& v) {
    const TensorId x = State::arg(v, i);
    TensorId gate = State::arg(v, j);
    const Shape &xs = g.shape(x), &gs = g.shape(gate);
    const bool per_channel = xs.rank() == 4 && ((gs.rank() == 2 && gs[0] == xs[0] && gs[1] == xs[1]) ||
                                                (gs.rank() == 4 && gs[0] == xs[0] && gs[1] == xs[1] && gs[2] == 1 && gs[3] == 1));
    if (!(gs == xs) && !per_channel)
      return TensorId(g.refuse(make_error(Errc::invalid_argument,
                                          "mul (layer {}): {} is neither the shape of {} nor a per-channel gate of it "
                                          "((N,C) or (N,C,1,1))", v.size(), gs.str(), xs.str())));
    if (gs.rank() == 2) gate = vknn::reshape(g, gate, Shape{gs[0], gs[1], 1, 1}, g.unique_name("gate"));
    return vknn::binary(g, BinaryOp::mul, x, gate, g.unique_name("mul"));
  });
}

Network::Value Network::concat(const std::vector<Value>& xs) {
  std::vector<int32_t> idx;
  for (const Value& x : xs) idx.push_back(state_->check(x, "concat"));
  return state_->push(fmt::format("concat {}", fmt::join(idx, " ")), [=](Graph& g, const std::vector<TensorId>& v) {
    std::vector<TensorId> in;
    for (int32_t i : idx) in.push_back(State::arg(v, i));
    return vknn::concat(g, in, g.unique_name("concat"));
  });
}

Network::Value Network::dropout(Value x, float rate) {
  const int32_t i = state_->check(x, "dropout");
  if (!(rate >= 0.0f && rate < 1.0f))
    raise(VKNN_ERROR_INVALID_ARGUMENT, fmt::format("Network::dropout: rate {} is outside [0, 1)", rate));
  return state_->push(fmt::format("dropout {} rate {}", i, rate), [=](Graph& g, const std::vector<TensorId>& v) {
    return vknn::dropout(g, State::arg(v, i), rate, "dropout");
  });
}

Network::Value Network::flatten(Value x) {
  const int32_t i = state_->check(x, "flatten");
  return state_->push(fmt::format("flatten {}", i), 
      [=](Graph& g, const std::vector<TensorId>& v) { return vknn::flatten(g, State::arg(v, i), g.unique_name("flatten")); });
}

Network::Value Network::linear(Value x, const std::string& name, int64_t out_features, bool bias) {
  const int32_t i = state_->check(x, "linear");
  return state_->push(fmt::format("linear {} {} out {} bias {}", i, name, out_features, bias), [=](Graph& g, const std::vector<TensorId>& v) {
    const TensorId in = State::arg(v, i);
    const int64_t features = dim(g, in, 1);
    const Init init = pytorch_default(features);
    const TensorId w = g.parameter(name + ".weight", {out_features, features}, init);
    const TensorId b = bias ? g.parameter(name + ".bias", {out_features}, init) : TensorId{};
    return vknn::linear(g, in, w, b, LinearParams{}, name);
  });
}

Network::Value Network::State::softmax(Value x, const char* call, int axis, bool log) {
  const int32_t i = check(x, call);
  return push(fmt::format("{} {} axis {}", call, i, axis), [=](Graph& g, const std::vector<TensorId>& v) {
    SoftmaxParams p;
    p.axis = axis, p.log = log;
    const std::string label = layer_label(call, v);
    if (auto layout = softmax_layout(label.c_str(), p, g.shape(arg(v, i))); !layout.ok())
      return refuse_layer(g, label, layout.error());
    return vknn::softmax(g, arg(v, i), p, g.unique_name(call));
  });
}

Network::Value Network::softmax(Value x, int axis) { return state_->softmax(x, "softmax", axis, false); }
Network::Value Network::log_softmax(Value x, int axis) { return state_->softmax(x, "log_softmax", axis, true); }

Network::Value Network::State::matmul(Value a, Value b, const Value* c, const Matmul& m) {
  const int32_t i = check(a, "matmul"), j = check(b, "matmul"), k = c ? check(*c, "matmul") : -1;
  if (!std::isfinite(m.alpha) || !std::isfinite(m.beta))
    raise(VKNN_ERROR_INVALID_ARGUMENT,
          fmt::format("Network::matmul: alpha {} and beta {} must be finite", m.alpha, m.beta));
  const std::string text = fmt::format("matmul {} {} {} trans_a {} trans_b {} alpha {} beta {}", i, j, k, m.trans_a,
                                       m.trans_b, m.alpha, m.beta);
  return push(text, [=](Graph& g, const std::vector<TensorId>& v) {
    MatmulNodeParams p;
    p.trans_a = m.trans_a, p.trans_b = m.trans_b, p.alpha = m.alpha, p.beta = m.beta;
    const TensorId ta = arg(v, i), tb = arg(v, j), tc = k >= 0 ? arg(v, k) : TensorId{};
    if (auto shape = matmul_output_shape(p, g.shape(ta), g.shape(tb), tc.valid() ? &g.shape(tc) : nullptr);
        !shape.ok())
      return refuse_layer(g, layer_label("matmul", v), shape.error());
    return vknn::matmul(g, ta, tb, tc, p, g.unique_name("matmul"));
  });
}

Network::Value Network::matmul(Value a, Value b) { return state_->matmul(a, b, nullptr, Matmul{}); }
Network::Value Network::matmul(Value a, Value b, const Matmul& m) { return state_->matmul(a, b, nullptr, m); }
Network::Value Network::matmul(Value a, Value b, Value c, const Matmul& m) { return state_->matmul(a, b, &c, m); }

void Network::output(Value x) {
  const int32_t i = state_->check(x, "output");
  if (state_->output >= 0) raise(VKNN_ERROR_INVALID_ARGUMENT, "Network::output: called twice");
  if (i == 0) raise(VKNN_ERROR_INVALID_ARGUMENT, "Network::output: the input itself (add a layer)");
  state_->output = i;
  state_->description += fmt::format("output {}\n", i);
}

Result<models::Model> Network::State::build(int64_t batch) const {
  if (output < 0) return make_error(Errc::invalid_argument, "Network: no output() was given");
  if (batch < 1 || batch >= (int64_t(1) << 30))
    return make_error(Errc::invalid_argument, "Network: batch must be in 1..2^30-1, got {}", batch);
  models::Model m;
  Graph& g = m.graph;
  m.images = g.input("images", {batch, channels, height, width});
  std::vector<TensorId> values{m.images};
  for (const Layer& layer : layers) {
    if (!g.ok()) break;  // the first refusal is the error; later layers would only repeat it
    values.push_back(layer(g, values));
  }
  VKNN_TRY(g.status());
  m.logits = values[size_t(output)];
  if (g.shape(m.logits).rank() != 2)
    return make_error(Errc::invalid_argument, "Network: the output is {}; a session returns (N,classes)",
                      g.shape(m.logits).str());
  g.desc(m.logits).role = Role::output;
  return m;
}

Network::Network(const Network&) = default;
Network& Network::operator=(const Network&) = default;
Network::Network(Network&&) noexcept = default;
Network& Network::operator=(Network&&) noexcept = default;
Network::~Network() = default;

}  // namespace vknn::api
