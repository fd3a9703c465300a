// The C API of networks defined in code (vknn_network_*), and the sessions and trainers made
// from one: thin wrappers over vknn::api::Network (network.cpp). Arguments are checked here,
// at the call, so that a C caller learns which layer and which argument were wrong; shapes
// are checked by the graph builders when a session or a trainer builds the network.
#include "state.h"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

struct vknn_network_t {
  vknn::api::Network net;
  uint64_t serial = 0;  // vknn_tensor::network of this network's tensors
  int32_t values = 1;   // tensors so far: the input and one per layer
  bool has_output = false;
  std::map<std::string, int32_t> names;  // layer name -> its layer number (parameters are named by it)
};

namespace {

using vknn::api::guarded;
using Value = vknn::api::Network::Value;

[[noreturn]] void invalid(const std::string& what) { vknn::api::raise(VKNN_ERROR_INVALID_ARGUMENT, what); }

// Serial numbers of networks: a tensor names its network by one, so a tensor of another
// network (or of a destroyed one) is told apart from this one's; 0 is never given.
std::atomic<uint64_t> g_next_serial{1};

constexpr vknn_tensor no_tensor{0, 0};

vknn_network_t& network_of(vknn_network net) {
  if (!net) invalid("the network is NULL");
  return *net;
}

// One layer call being checked: "layer 3 (conv2d \"conv1\")" names it in every refusal.
struct LayerCall {
  vknn_network_t& n;
  std::string label;

  // A new layer, the next tensor; refused once the output was given.
  LayerCall(vknn_network_t& net, const char* kind, const char* name = nullptr) : n(net) {
    label =
        name ? fmt::format("layer {} ({} \"{}\")", n.values, kind, name) : fmt::format("layer {} ({})", n.values, kind);
    if (n.has_output) invalid(fmt::format("{}: the network's output was already given (vknn_network_output)", label));
  }
  LayerCall(vknn_network_t& net, std::string what) : n(net), label(std::move(what)) {}

  [[noreturn]] void refuse(const std::string& what) const { invalid(fmt::format("{}: {}", label, what)); }

  // The tensor argument `arg` as the C++ builder's Value.
  Value value(vknn_tensor t, const char* arg) const {
    if (t.network == 0) refuse(fmt::format("{} is no tensor (zero: never set, or the output of a failed call)", arg));
    if (t.network != n.serial)
      refuse(fmt::format("{} is a tensor of another network (network {}, this is {})", arg, t.network, n.serial));
    if (t.index < 0 || t.index >= n.values)
      refuse(fmt::format("{} is tensor {}, but the network's tensors are 0..{}", arg, t.index, n.values - 1));
    return {t.index, n.net.input().owner};
  }

  // A layer name: its parameters are "<name>.weight" and so on, so it must be unique.
  std::string name(const char* name) const {
    if (!name) refuse("name is NULL");
    const std::string s = name;
    if (s.empty()) refuse("name is empty");
    for (unsigned char c : s)
      if (c <= ' ' || c == 0x7f) refuse(fmt::format("name \"{}\" holds whitespace or a control character", s));
    if (auto it = n.names.find(s); it != n.names.end())
      refuse(fmt::format("name \"{}\" is already layer {}'s", s, it->second));
    return s;
  }

  void at_least(int64_t v, int64_t min, const char* arg) const {
    if (v < min) refuse(fmt::format("{} is {}; it must be at least {}", arg, v, min));
  }

  // Records the layer: its output as a C tensor, and its name as taken.
  vknn_tensor done(Value v, const std::string& name = {}) const {
    if (v.index != n.values) refuse(fmt::format("internal: the layer's value is {}, expected {}", v.index, n.values));
    if (!name.empty()) n.names.emplace(name, n.values);
    ++n.values;
    return {n.serial, v.index};
  }
};

vknn::api::Network::Pool pool_of(const LayerCall& call, const vknn_pool_params* p) {
  if (!p) call.refuse("params is NULL");
  call.at_least(p->kernel, 1, "params->kernel");
  call.at_least(p->stride, 1, "params->stride");
  call.at_least(p->pad, 0, "params->pad");  // a pad of the kernel or more: the op refuses it, naming the layer
  return {p->kernel, p->stride, p->pad};
}

// The body of a layer function: out is checked and cleared, then `f` makes the layer.
template <class F>
vknn_status layer(const char* fn, vknn_network net, vknn_tensor* out, F&& f) {
  if (out) *out = no_tensor;
  return guarded(fn, [&] {
    if (!out) invalid("out is NULL");
    *out = f(network_of(net));
  });
}

}  // namespace

extern "C" {

vknn_status vknn_network_create(int64_t channels, int64_t height, int64_t width, vknn_network* out) {
  if (out) *out = nullptr;
  return guarded("vknn_network_create", [&] {
    if (!out) invalid("out is NULL");
    constexpr int64_t max = std::numeric_limits<int32_t>::max();
    const std::pair<const char*, int64_t> dims[] = {{"channels", channels}, {"height", height}, {"width", width}};
    for (const auto& [arg, v] : dims)
      if (v < 1 || v > max) invalid(fmt::format("the input's {} is {}; it must be in 1..{}", arg, v, max));
    auto h =
        std::make_unique<vknn_network_t>(vknn_network_t{vknn::api::Network(channels, height, width), 0, 1, false, {}});
    h->serial = g_next_serial.fetch_add(1);
    *out = h.release();
  });
}

void vknn_network_destroy(vknn_network net) { delete net; }

vknn_status vknn_network_input(vknn_network net, vknn_tensor* out) {
  return layer("vknn_network_input", net, out, [&](vknn_network_t& n) { return vknn_tensor{n.serial, 0}; });
}

vknn_status vknn_network_conv2d(vknn_network net, vknn_tensor x, const char* name, const vknn_conv2d_params* params,
                                vknn_tensor* out) {
  return layer("vknn_network_conv2d", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "conv2d", name);
    const Value in = call.value(x, "x");
    const std::string layer_name = call.name(name);
    if (!params) call.refuse("params is NULL");
    const vknn_conv2d_params& p = *params;
    call.at_least(p.out_channels, 1, "params->out_channels");
    call.at_least(p.kernel, 1, "params->kernel");
    call.at_least(p.stride, 1, "params->stride");
    call.at_least(p.pad, 0, "params->pad");
    call.at_least(p.groups, 1, "params->groups");
    if (p.out_channels % p.groups != 0)
      call.refuse(fmt::format("params->groups {} does not divide params->out_channels {}", p.groups, p.out_channels));
    const vknn::api::Network::Conv c{p.out_channels, p.kernel, p.stride, p.pad, p.groups, p.bias != 0};
    return call.done(n.net.conv2d(in, layer_name, c), layer_name);
  });
}

vknn_status vknn_network_batchnorm(vknn_network net, vknn_tensor x, const char* name, vknn_tensor* out) {
  return layer("vknn_network_batchnorm", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "batchnorm", name);
    const Value in = call.value(x, "x");
    const std::string layer_name = call.name(name);
    return call.done(n.net.batchnorm(in, layer_name), layer_name);
  });
}

vknn_status vknn_network_relu(vknn_network net, vknn_tensor x, vknn_tensor* out) {
  return layer("vknn_network_relu", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "relu");
    return call.done(n.net.relu(call.value(x, "x")));
  });
}

vknn_status vknn_network_activation(vknn_network net, vknn_tensor x, int32_t kind, float alpha, float beta,
                                   vknn_tensor* out) {
  return layer("vknn_network_activation", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "activation");
    const Value in = call.value(x, "x");
    // The op's own parameter check (leaky_relu's slope alpha, clip's bounds alpha and beta).
    auto checked = [&](const vknn::ActivationParams& p) {
      if (vknn::Status s = vknn::check_activation_params(vknn::activation_name(p.kind), p); !s.ok())
        call.refuse(s.error().message);
    };
    switch (kind) {
      case VKNN_ACTIVATION_SIGMOID: return call.done(n.net.sigmoid(in));
      case VKNN_ACTIVATION_TANH: return call.done(n.net.tanh(in));
      case VKNN_ACTIVATION_SILU: return call.done(n.net.silu(in));
      case VKNN_ACTIVATION_HARDSWISH: return call.done(n.net.hardswish(in));
      case VKNN_ACTIVATION_HARDSIGMOID: return call.done(n.net.hardsigmoid(in));
      case VKNN_ACTIVATION_LEAKY_RELU:
        checked(vknn::ActivationParams::leaky_relu(alpha));
        return call.done(n.net.leaky_relu(in, alpha));
      case VKNN_ACTIVATION_CLIP:
        checked(vknn::ActivationParams::clip(alpha, beta));
        return call.done(n.net.clip(in, alpha, beta));
      default: call.refuse(fmt::format("kind {} is no vknn_activation (0..{})", kind, int(VKNN_ACTIVATION_CLIP)));
    }
  });
}

vknn_status vknn_network_dropout(vknn_network net, vknn_tensor x, float rate, vknn_tensor* out) {
  return layer("vknn_network_dropout", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "dropout");
    const Value in = call.value(x, "x");
    if (!(rate >= 0.0f && rate < 1.0f)) call.refuse(fmt::format("rate {} is outside [0, 1)", rate));
    return call.done(n.net.dropout(in, rate));
  });
}

vknn_status vknn_network_maxpool(vknn_network net, vknn_tensor x, const vknn_pool_params* params, vknn_tensor* out) {
  return layer("vknn_network_maxpool", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "maxpool");
    const Value in = call.value(x, "x");
    return call.done(n.net.maxpool(in, pool_of(call, params)));
  });
}

vknn_status vknn_network_avgpool(vknn_network net, vknn_tensor x, const vknn_pool_params* params, vknn_tensor* out) {
  return layer("vknn_network_avgpool", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "avgpool");
    const Value in = call.value(x, "x");
    return call.done(n.net.avgpool(in, pool_of(call, params)));
  });
}

vknn_status vknn_network_global_avgpool(vknn_network net, vknn_tensor x, vknn_tensor* out) {
  return layer("vknn_network_global_avgpool", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "global_avgpool");
    return call.done(n.net.global_avgpool(call.value(x, "x")));
  });
}

vknn_status vknn_network_add(vknn_network net, vknn_tensor a, vknn_tensor b, vknn_tensor* out) {
  return layer("vknn_network_add", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "add");
    const Value va = call.value(a, "a"), vb = call.value(b, "b");
    return call.done(n.net.add(va, vb));
  });
}

vknn_status vknn_network_mul(vknn_network net, vknn_tensor a, vknn_tensor b, vknn_tensor* out) {
  return layer("vknn_network_mul", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "mul");
    const Value va = call.value(a, "a"), vb = call.value(b, "b");
    return call.done(n.net.mul(va, vb));
  });
}

vknn_status vknn_network_concat(vknn_network net, const vknn_tensor* xs, size_t count, vknn_tensor* out) {
  return layer("vknn_network_concat", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "concat");
    if (!xs) call.refuse("xs is NULL");
    if (count < 1) call.refuse("count is 0; it must be at least 1");
    std::vector<Value> in;
    for (size_t i = 0; i < count; ++i) in.push_back(call.value(xs[i], fmt::format("xs[{}]", i).c_str()));
    return call.done(n.net.concat(in));
  });
}

vknn_status vknn_network_flatten(vknn_network net, vknn_tensor x, vknn_tensor* out) {
  return layer("vknn_network_flatten", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "flatten");
    return call.done(n.net.flatten(call.value(x, "x")));
  });
}

vknn_status vknn_network_linear(vknn_network net, vknn_tensor x, const char* name, int64_t out_features, int32_t bias,
                                vknn_tensor* out) {
  return layer("vknn_network_linear", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "linear", name);
    const Value in = call.value(x, "x");
    const std::string layer_name = call.name(name);
    call.at_least(out_features, 1, "out_features");
    return call.done(n.net.linear(in, layer_name, out_features, bias != 0), layer_name);
  });
}

vknn_status vknn_network_output(vknn_network net, vknn_tensor x) {
  return guarded("vknn_network_output", [&] {
    vknn_network_t& n = network_of(net);
    const LayerCall call(n, std::string("output"));
    if (n.has_output) call.refuse("the network's output was already given");
    const Value v = call.value(x, "x");
    if (v.index == 0) call.refuse("x is the network's input; the output must be a layer's");
    n.net.output(v);
    n.has_output = true;
  });
}

vknn_status vknn_network_softmax(vknn_network net, vknn_tensor x, int32_t axis, vknn_tensor* out) {
  return layer("vknn_network_softmax", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "softmax");
    return call.done(n.net.softmax(call.value(x, "x"), axis));
  });
}

vknn_status vknn_network_log_softmax(vknn_network net, vknn_tensor x, int32_t axis, vknn_tensor* out) {
  return layer("vknn_network_log_softmax", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "log_softmax");
    return call.done(n.net.log_softmax(call.value(x, "x"), axis));
  });
}

vknn_status vknn_network_matmul(vknn_network net, vknn_tensor a, vknn_tensor b, const vknn_tensor* c,
                                const vknn_matmul_params* params, vknn_tensor* out) {
  return layer("vknn_network_matmul", net, out, [&](vknn_network_t& n) {
    const LayerCall call(n, "matmul");
    const Value va = call.value(a, "a"), vb = call.value(b, "b");
    if (!params) call.refuse("params is NULL");
    const vknn_matmul_params& p = *params;
    if (!std::isfinite(p.alpha) || !std::isfinite(p.beta))
      call.refuse(fmt::format("params->alpha {} and params->beta {} must be finite", p.alpha, p.beta));
    const vknn::api::Network::Matmul m{p.trans_a != 0, p.trans_b != 0, p.alpha, p.beta};
    return call.done(c ? n.net.matmul(va, vb, call.value(*c, "c"), m) : n.net.matmul(va, vb, m));
  });
}

vknn_status vknn_session_create_from_network(vknn_context ctx, vknn_network net, const char* weights_path,
                                             int32_t batch, uint64_t seed, vknn_session* out) {
  if (out) *out = nullptr;
  return guarded("vknn_session_create_from_network", [&] {
    if (!out) invalid("out is NULL");
    if (!ctx) invalid("the context is NULL");
    const vknn_network_t& n = network_of(net);
    auto h = std::make_unique<vknn_session_t>();
    h->session = vknn::api::Session::create(ctx->ctx, n.net, weights_path ? weights_path : "", batch, seed);
    *out = h.release();
  });
}

vknn_status vknn_trainer_create_from_network(vknn_context ctx, vknn_network net, const vknn_trainer_spec* spec,
                                             vknn_trainer* out) {
  if (out) *out = nullptr;
  return guarded("vknn_trainer_create_from_network", [&] {
    if (!out) invalid("out is NULL");
    if (!ctx) invalid("the context is NULL");
    const vknn_network_t& n = network_of(net);
    auto h = std::make_unique<vknn_trainer_t>();
    h->trainer = vknn::api::Trainer::create(ctx->ctx, n.net, vknn::api::trainer_spec_of(spec, true));
    *out = h.release();
  });
}

vknn_status vknn_trainer_resume_from_network(vknn_context ctx, vknn_network net, const char* out_dir,
                                             vknn_trainer* out) {
  if (out) *out = nullptr;
  return guarded("vknn_trainer_resume_from_network", [&] {
    if (!out) invalid("out is NULL");
    if (!ctx) invalid("the context is NULL");
    const vknn_network_t& n = network_of(net);
    if (!out_dir) invalid("out_dir is NULL");
    auto h = std::make_unique<vknn_trainer_t>();
    h->trainer = vknn::api::Trainer::resume(ctx->ctx, n.net, out_dir);
    *out = h.release();
  });
}

}  // extern "C"
