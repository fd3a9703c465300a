// Networks defined in code through the exported facade (vknn/network.hpp): built at the
// session's batch with the same op builders as the built-in models, weights loaded by their
// PyTorch-style names, refusals at once or at session creation.
#include "helpers.h"

#include "vknn/network.hpp"

#include <algorithm>
#include <cmath>

using namespace apitest;
namespace api = vknn::api;

TEST_CASE("Network: flatten and linear with a weights file give the host's arithmetic, at any batch") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::Network net(1, 2, 2);
  net.output(net.linear(net.flatten(net.relu(net.input())), "fc", 3));
  // fc.weight (3,4) and fc.bias (3), as torch.nn.Linear(4, 3) names them.
  const std::vector<float> w = {1, 2, 3, 4, -1, 0, 1, 0, 0.5f, 0.25f, 0, -2}, b = {0.5f, -1, 2};
  const auto path = temp_path("network_fc.safetensors");
  write_safetensors(path, {{"fc.weight", {3, 4}, w}, {"fc.bias", {3}, b}});
  for (int batch : {1, 3}) {
    api::Session s = api::Session::create(ctx, net, path.string(), batch);
    CHECK(s.input_shape() == std::vector<int64_t>{batch, 1, 2, 2});
    CHECK(s.output_shape() == std::vector<int64_t>{batch, 3});
    const std::vector<float> x = inputs(s.input_count(), 7);
    std::vector<float> y(s.output_count()), want;
    s.run(x.data(), x.size(), y.data(), y.size());
    for (int n = 0; n < batch; ++n)
      for (int o = 0; o < 3; ++o) {
        double acc = b[size_t(o)];
        for (int i = 0; i < 4; ++i) acc += double(w[size_t(o * 4 + i)]) * std::max(0.0f, x[size_t(n * 4 + i)]);
        want.push_back(float(acc));
      }
    CHECK(max_rel_diff(y, want) <= 1e-5);
  }
  std::filesystem::remove(path);
}

TEST_CASE("Network: random initialization is drawn from the seed") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::Network net(3, 8, 8);
  api::Network::Value h = net.relu(net.batchnorm(net.conv2d(net.input(), "conv1", {4, 3, 2, 1, 1, false}), "bn1"));
  net.output(net.linear(net.global_avgpool(net.concat({h, h})), "fc", 5));
  const std::vector<float> x = inputs(3 * 8 * 8, 3);
  auto run = [&](uint64_t seed) {
    api::Session s = api::Session::create(ctx, net, "", 1, seed);
    CHECK(s.output_shape() == std::vector<int64_t>{1, 5});
    std::vector<float> y(5);
    s.run(x.data(), x.size(), y.data(), y.size());
    return y;
  };
  const std::vector<float> a = run(1), b = run(1), c = run(2);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("Network: refusals") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::Network a(3, 8, 8), b(3, 8, 8);
  // A value of another network, at once.
  check_throws([&] { a.relu(b.input()); }, VKNN_ERROR_INVALID_ARGUMENT, {"Network::relu", "not one of this network's"});
  check_throws([&] { a.output(a.input()); }, VKNN_ERROR_INVALID_ARGUMENT, {"the input itself"});
  // No output: at session creation.
  a.relu(a.input());
  check_throws([&] { api::Session::create(ctx, a, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT, {"no output()"});
  // Wiring that does not fit: the builder's message names the layer.
  api::Network c(3, 8, 8);
  c.output(c.linear(c.input(), "fc", 10));  // a linear layer on (N,3,8,8)
  check_throws([&] { api::Session::create(ctx, c, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT, {"fc"});
  api::Network d(3, 4, 4);
  d.output(d.global_avgpool(d.maxpool(d.input(), {8, 8, 0})));  // a kernel larger than the input
  check_throws([&] { api::Session::create(ctx, d, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT, {"maxpool"});
  api::Network e(3, 4, 4);
  e.output(e.global_avgpool(e.conv2d(e.conv2d(e.input(), "conv", {4}), "conv", {4})));  // the same name twice
  check_throws([&] { api::Session::create(ctx, e, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT, {"conv"});
  api::Network f(3, 4, 4);
  f.output(f.relu(f.input()));  // (N,3,4,4): not (N,classes)
  check_throws([&] { api::Session::create(ctx, f, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT, {"(1,3,4,4)"});
  api::Network g(3, 4, 4);
  g.output(g.global_avgpool(g.input()));
  check_throws([&] { g.relu(g.input()); }, VKNN_ERROR_INVALID_ARGUMENT, {"after output()"});
  check_throws([&] { api::Session::create(ctx, g, "", 0); }, VKNN_ERROR_INVALID_ARGUMENT, {"batch"});
}

namespace {

// The host's arithmetic of each activation, in double (docs/ops.md).
double host_activation(const std::string& kind, double x) {
  if (kind == "sigmoid") return 1 / (1 + std::exp(-x));
  if (kind == "tanh") return std::tanh(x);
  if (kind == "silu") return x / (1 + std::exp(-x));
  if (kind == "hardswish") return x * std::clamp(x + 3, 0.0, 6.0) / 6;
  if (kind == "hardsigmoid") return std::clamp(x / 6 + 0.5, 0.0, 1.0);
  if (kind == "leaky_relu") return x > 0 ? x : 0.2 * x;
  if (kind == "relu6") return std::clamp(x, 0.0, 6.0);
  FAIL("no such activation " << kind);
  return 0;
}

api::Network::Value apply(api::Network& n, const std::string& kind, api::Network::Value x) {
  if (kind == "sigmoid") return n.sigmoid(x);
  if (kind == "tanh") return n.tanh(x);
  if (kind == "silu") return n.silu(x);
  if (kind == "hardswish") return n.hardswish(x);
  if (kind == "hardsigmoid") return n.hardsigmoid(x);
  if (kind == "leaky_relu") return n.leaky_relu(x, 0.2f);
  return n.clip(x, 0, 6);
}

// An 8x8 identity "fc", so that a network's output is its last feature map, flattened.
std::filesystem::path identity_fc(const char* file, const std::vector<NamedTensor>& more = {}) {
  std::vector<float> eye(64, 0.0f);
  for (int i = 0; i < 8; ++i) eye[size_t(i * 9)] = 1;
  std::vector<NamedTensor> t = {{"fc.weight", {8, 8}, eye}, {"fc.bias", {8}, std::vector<float>(8, 0.0f)}};
  t.insert(t.end(), more.begin(), more.end());
  const auto path = temp_path(file);
  write_safetensors(path, t);
  return path;
}

}  // namespace

TEST_CASE("Network: activations give the host's arithmetic, kinks included") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  const auto weights = identity_fc("network_act.safetensors");
  // (2,2,2,2): both sides of every kink (-3, 0, 3, 6) and the ranges where each curve bends.
  const std::vector<float> x = {-7, -3.5f, -3, -1.25f, -0.5f, 0, 0.25f, 1,      2.5f, 3, 3.75f, 6,
                                6.5f, -0.001f, 0.001f, -2};
  for (const std::string kind : {"sigmoid", "tanh", "silu", "hardswish", "hardsigmoid", "leaky_relu", "relu6"}) {
    INFO(kind);
    api::Network net(2, 2, 2);
    net.output(net.linear(net.flatten(apply(net, kind, net.input())), "fc", 8));
    api::Session s = api::Session::create(ctx, net, weights.string(), 2);
    std::vector<float> y(16), want;
    s.run(x.data(), x.size(), y.data(), y.size());
    for (float v : x) want.push_back(float(host_activation(kind, v)));
    for (size_t i = 0; i < y.size(); ++i) CHECK(std::abs(y[i] - want[i]) <= 1e-6 + 1e-6 * std::abs(want[i]));
  }
  // Parameters are checked at once.
  api::Network net(2, 2, 2);
  check_throws([&] { net.leaky_relu(net.input(), NAN); }, VKNN_ERROR_INVALID_ARGUMENT, {"leaky_relu", "must be finite"});
  check_throws([&] { net.clip(net.input(), 6, 0); }, VKNN_ERROR_INVALID_ARGUMENT, {"clip", "[6, 0]"});
  net.clip(net.input(), -INFINITY, 6);  // an open lower end, as Clip with no min
  std::filesystem::remove(weights);
}

TEST_CASE("Network: mul by a squeeze-excitation gate of shape (N,C) or (N,C,1,1), and by a whole tensor") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  // se: Linear(2, 2) over the channel means; the gate is its sigmoid.
  const std::vector<float> w = {0.5f, -1, 2, 0.25f}, b = {0.1f, -0.3f};
  const auto weights = identity_fc("network_mul.safetensors", {{"se.weight", {2, 2}, w}, {"se.bias", {2}, b}});
  const std::vector<float> x = inputs(16, 5);
  api::Network net(2, 2, 2);
  const api::Network::Value in = net.input();
  net.output(net.linear(net.flatten(net.mul(in, net.sigmoid(net.linear(net.global_avgpool(in), "se", 2)))), "fc", 8));
  api::Session s = api::Session::create(ctx, net, weights.string(), 2);
  std::vector<float> y(16), want;
  s.run(x.data(), x.size(), y.data(), y.size());
  for (int n = 0; n < 2; ++n) {
    double mean[2];
    for (int c = 0; c < 2; ++c) {
      mean[c] = 0;
      for (int i = 0; i < 4; ++i) mean[c] += x[size_t(n * 8 + c * 4 + i)] / 4.0;
    }
    for (int c = 0; c < 2; ++c) {
      const double gate = 1 / (1 + std::exp(-(b[size_t(c)] + w[size_t(c * 2)] * mean[0] + w[size_t(c * 2 + 1)] * mean[1])));
      for (int i = 0; i < 4; ++i) want.push_back(float(x[size_t(n * 8 + c * 4 + i)] * gate));
    }
  }
  CHECK(max_rel_diff(y, want) <= 1e-6);

  api::Network sq(2, 2, 2);
  sq.output(sq.linear(sq.flatten(sq.mul(sq.input(), sq.input())), "fc", 8));
  api::Session t = api::Session::create(ctx, sq, weights.string(), 1);
  std::vector<float> z(8);
  t.run(x.data(), 8, z.data(), z.size());
  for (size_t i = 0; i < 8; ++i) CHECK(z[i] == x[i] * x[i]);

  // A gate of another channel count is refused when the network is built, naming the shapes.
  api::Network bad(2, 2, 2);
  bad.output(bad.global_avgpool(bad.mul(bad.input(), bad.linear(bad.global_avgpool(bad.input()), "se", 3))));
  check_throws([&] { api::Session::create(ctx, bad, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT, {"mul", "(1,3)", "(1,2,2,2)"});
  std::filesystem::remove(weights);
}
