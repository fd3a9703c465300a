// Networks defined in code through the exported facade (vknn/network.hpp): built at the
// session's batch with the same op builders as the built-in models, weights loaded by their
// PyTorch-style names, refusals at once or at session creation.
#include "helpers.h"

#include "vknn/network.hpp"

#include <algorithm>

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
