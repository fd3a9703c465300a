// Network's softmax, log-softmax and matmul layers against the host's arithmetic in double
// (torch.softmax, torch.log_softmax, torch.matmul / addmm semantics), pools with pads past
// kernel / 2, and the refusals at session creation, which name the layer.
#include "helpers.h"

#include "vknn/network.hpp"

#include <algorithm>
#include <cmath>

using namespace apitest;
namespace api = vknn::api;

namespace {

// x (dims) softmax (or log_softmax) along `axis`, in double.
std::vector<float> host_softmax(const std::vector<float>& x, const std::vector<int64_t>& dims, int axis, bool log) {
  const size_t a = size_t(axis < 0 ? axis + int(dims.size()) : axis);
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < a; ++d) outer *= dims[d];
  for (size_t d = a + 1; d < dims.size(); ++d) inner *= dims[d];
  const int64_t k = dims[a];
  std::vector<float> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) { return size_t((o * k + j) * inner + i); };
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < k; ++j) m = std::max(m, double(x[at(j)]));
      for (int64_t j = 0; j < k; ++j) s += std::exp(double(x[at(j)]) - m);
      for (int64_t j = 0; j < k; ++j)
        y[at(j)] = float(log ? double(x[at(j)]) - m - std::log(s) : std::exp(double(x[at(j)]) - m) / s);
    }
  return y;
}

// One session of `net` at batch 2 on x; checks the output shape.
std::vector<float> run(api::Context& ctx, const api::Network& net, const std::vector<float>& x, int64_t classes,
                       const std::string& weights = "") {
  api::Session s = api::Session::create(ctx, net, weights, 2);
  REQUIRE(s.output_shape() == std::vector<int64_t>{2, classes});
  std::vector<float> y(s.output_count());
  s.run(x.data(), x.size(), y.data(), y.size());
  return y;
}

}  // namespace

TEST_CASE("Network: softmax and log_softmax along each axis give the host's arithmetic") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  std::vector<float> x = inputs(2 * 3 * 2 * 5, 11);
  for (float& v : x) v *= 8;  // logits far apart: the maximum must be subtracted
  const std::vector<int64_t> dims = {2, 3, 2, 5};
  for (int axis : {1, 2, -1, -3}) {
    for (bool log : {false, true}) {
      CAPTURE(axis);
      CAPTURE(log);
      api::Network net(3, 2, 5);
      net.output(net.flatten(log ? net.log_softmax(net.input(), axis) : net.softmax(net.input(), axis)));
      const std::vector<float> y = run(ctx, net, x, 30), want = host_softmax(x, dims, axis, log);
      for (size_t i = 0; i < y.size(); ++i) CHECK(std::abs(y[i] - want[i]) <= 1e-6 + 1e-5 * std::abs(want[i]));
    }
  }
  // A classifier's softmax: (N,F) along the features, the default axis.
  api::Network net(3, 2, 5);
  net.output(net.softmax(net.flatten(net.input())));
  const std::vector<float> y = run(ctx, net, x, 30), want = host_softmax(x, {2, 30}, -1, false);
  CHECK(max_rel_diff(y, want) <= 1e-5);
}

TEST_CASE("Network: matmul, batched and transposed, and with c, gives the host's arithmetic") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  const std::vector<float> x = inputs(2 * 2 * 3 * 4, 5);  // (2,2,3,4)
  auto at = [&](int n, int c, int h, int w) { return double(x[size_t(((n * 2 + c) * 3 + h) * 4 + w)]); };
  SUBCASE("x · xᵀ over the last two dims, alpha 0.5: (N,2,3,3)") {
    api::Network net(2, 3, 4);
    net.output(net.flatten(net.matmul(net.input(), net.input(), {.trans_b = true, .alpha = 0.5f})));
    const std::vector<float> y = run(ctx, net, x, 18);
    std::vector<float> want;
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 2; ++c)
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j) {
            double acc = 0;
            for (int k = 0; k < 4; ++k) acc += at(n, c, i, k) * at(n, c, j, k);
            want.push_back(float(0.5 * acc));
          }
    CHECK(max_rel_diff(y, want) <= 1e-5);
  }
  SUBCASE("xᵀ · relu(x): (N,2,4,4)") {
    api::Network net(2, 3, 4);
    net.output(net.flatten(net.matmul(net.input(), net.relu(net.input()), {.trans_a = true})));
    const std::vector<float> y = run(ctx, net, x, 32);
    std::vector<float> want;
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 2; ++c)
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j) {
            double acc = 0;
            for (int k = 0; k < 3; ++k) acc += at(n, c, k, i) * std::max(0.0, at(n, c, k, j));
            want.push_back(float(acc));
          }
    CHECK(max_rel_diff(y, want) <= 1e-5);
  }
  SUBCASE("f · fᵀ * 0.25 + 2 * c, c (N,1) from a linear layer: (N,N)") {
    std::vector<float> w(24);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.1f * float(int(i % 7) - 3);
    const auto path = temp_path("network_matmul.safetensors");
    write_safetensors(path, {{"fc.weight", {1, 24}, w}, {"fc.bias", {1}, {0.5f}}});
    api::Network net(2, 3, 4);
    const api::Network::Value f = net.flatten(net.input());
    net.output(net.matmul(f, f, net.linear(f, "fc", 1), {.trans_b = true, .alpha = 0.25f, .beta = 2}));
    const std::vector<float> y = run(ctx, net, x, 2, path.string());
    std::vector<float> want;
    for (int i = 0; i < 2; ++i) {
      double c = 0.5;
      for (int k = 0; k < 24; ++k) c += double(w[size_t(k)]) * double(x[size_t(i * 24 + k)]);
      for (int j = 0; j < 2; ++j) {
        double acc = 0;
        for (int k = 0; k < 24; ++k) acc += double(x[size_t(i * 24 + k)]) * double(x[size_t(j * 24 + k)]);
        want.push_back(float(0.25 * acc + 2 * c));
      }
    }
    CHECK(max_rel_diff(y, want) <= 1e-5);
    std::filesystem::remove(path);
  }
}

TEST_CASE("Network: pools take pads up to kernel - 1, as the op does") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  // 3x3 max pool, stride 2, pad 2 (more than kernel / 2) on (N,1,4,4): (N,1,3,3).
  const std::vector<float> x = inputs(2 * 16, 9);
  api::Network net(1, 4, 4);
  net.output(net.flatten(net.maxpool(net.input(), {3, 2, 2})));
  const std::vector<float> y = run(ctx, net, x, 9);
  std::vector<float> want;
  for (int n = 0; n < 2; ++n)
    for (int oh = 0; oh < 3; ++oh)
      for (int ow = 0; ow < 3; ++ow) {
        float m = -INFINITY;
        for (int r = 0; r < 3; ++r)
          for (int s = 0; s < 3; ++s) {
            const int h = oh * 2 - 2 + r, w = ow * 2 - 2 + s;
            if (h >= 0 && h < 4 && w >= 0 && w < 4) m = std::max(m, x[size_t(n * 16 + h * 4 + w)]);
          }
        want.push_back(m);
      }
  CHECK(y == want);
}

TEST_CASE("Network: softmax, matmul and pool shapes the op refuses are refused naming the layer") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::Network a(3, 4, 4);
  a.output(a.flatten(a.softmax(a.relu(a.input()), 4)));  // rank 4: axes -4..3
  check_throws([&] { api::Session::create(ctx, a, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"softmax (layer 2)", "axis 4", "(1,3,4,4)"});
  api::Network b(3, 4, 4);
  const api::Network::Value f = b.flatten(b.input());
  b.output(b.matmul(f, f));  // (1,48) · (1,48)
  check_throws([&] { api::Session::create(ctx, b, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"matmul (layer 2)", "(1,48)"});
  api::Network c(3, 4, 4);
  c.output(c.global_avgpool(c.relu(c.maxpool(c.input(), {3, 1, 3}))));  // a pad of the kernel
  check_throws([&] { api::Session::create(ctx, c, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"maxpool (layer 1)", "below the kernel"});
  api::Network d(3, 4, 4);
  d.output(d.global_avgpool(d.avgpool(d.input(), {2, 2, 2})));
  check_throws([&] { api::Session::create(ctx, d, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"avgpool (layer 1)", "below the kernel"});
  api::Network e(3, 4, 4);
  check_throws([&] { e.matmul(e.input(), e.input(), {.alpha = NAN}); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"Network::matmul", "must be finite"});
}
