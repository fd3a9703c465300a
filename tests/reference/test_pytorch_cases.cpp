// The references against PyTorch on the arrays tests/reference/pytorch/pytorch_cases.py
// computes (float64). These cases are skipped in the normal run, which has no such arrays;
// the script runs them with --no-skip.
#include "activation.h"
#include "adamw.h"
#include "avgpool.h"
#include "binary.h"
#include "channel_shuffle.h"
#include "matmul.h"
#include "pad.h"
#include "pytorch/cases.h"
#include "softmax.h"
#include "softmax_xent.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("pytorch: softmax cross-entropy with label smoothing equals CrossEntropyLoss(label_smoothing)" *
          doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("xent" + std::to_string(i) + ".logits"); ++i, ++cases) {
    const std::string p = "xent" + std::to_string(i) + ".";
    const PytorchArray& z = c.get(p + "logits");
    const int n = int(z.shape[0]), k = int(z.shape[1]);
    const double eps = c.get(p + "params").values[0], dloss = c.get(p + "params").values[1];
    CAPTURE(n);
    CAPTURE(k);
    CAPTURE(eps);
    std::vector<int32_t> labels;
    for (double v : c.get(p + "labels").values) labels.push_back(int32_t(v));
    const auto f = softmax_xent_forward(n, k, z.values, labels, eps);
    CHECK(f.loss == doctest::Approx(c.get(p + "loss").values[0]).epsilon(1e-12));
    CHECK(max_violation(softmax_xent_backward(n, k, z.values, labels, dloss, eps), c.get(p + "dlogits").values, 1e-14,
                        1e-12) == 0.0);
  }
  CHECK(cases >= 6);
}

TEST_CASE("pytorch: activations and their kinks equal torch.sigmoid, hardsigmoid, hardswish, silu, relu6, hardtanh, "
          "leaky_relu, tanh" * doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("act" + std::to_string(i) + ".x"); ++i, ++cases) {
    const std::string p = "act" + std::to_string(i) + ".";
    const Vec& params = c.get(p + "params").values;
    const ActParams a{Act(int(params[0])), params[1], params[2]};
    CAPTURE(i);
    const Vec& x = c.get(p + "x").values;
    // 5e-8 relative: PyTorch's hardsigmoid backward multiplies by 1/6 rounded to fp32 even in float64.
    CHECK(max_violation(activation_forward(a, x), c.get(p + "y").values, 1e-15, 1e-13) == 0.0);
    CHECK(max_violation(activation_backward(a, x, c.get(p + "dy").values), c.get(p + "dx").values, 1e-15, 5e-8) ==
          0.0);
  }
  CHECK(cases >= 9);
}

TEST_CASE("pytorch: broadcasting add, sub, mul and div and their gradients equal torch's" * doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("bin" + std::to_string(i) + ".a"); ++i, ++cases) {
    const std::string p = "bin" + std::to_string(i) + ".";
    const Bin op = Bin(int(c.get(p + "params").values[0]));
    const PytorchArray &a = c.get(p + "a"), &b = c.get(p + "b");
    CAPTURE(i);
    CHECK(max_violation(binary_forward(op, a.values, a.shape, b.values, b.shape), c.get(p + "y").values, 1e-15,
                        1e-13) == 0.0);
    const BinaryGrads g = binary_backward(op, a.values, a.shape, b.values, b.shape, c.get(p + "dy").values);
    CHECK(max_violation(g.da, c.get(p + "da").values, 1e-14, 1e-12) == 0.0);
    CHECK(max_violation(g.db, c.get(p + "db").values, 1e-14, 1e-12) == 0.0);
  }
  CHECK(cases >= 24);
}

TEST_CASE("pytorch: max and average pooling, ceil mode, asymmetric and large pads and dilation included, equal "
          "F.max_pool2d and F.avg_pool2d (after F.pad where PyTorch's pools cannot pad)" *
          doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("pool" + std::to_string(i) + ".x"); ++i, ++cases) {
    const std::string p = "pool" + std::to_string(i) + ".";
    const Vec& q = c.get(p + "params").values;
    const bool is_max = q[0] != 0, include_pad = q[1] != 0;
    Pool2dParams pp{int(q[3]), int(q[4]), int(q[5]), int(q[6]), int(q[7]), int(q[8]), q[2] != 0};
    pp.pad_bottom = int(q[9]), pp.pad_right = int(q[10]), pp.dilation_h = int(q[11]), pp.dilation_w = int(q[12]);
    const PytorchArray& x = c.get(p + "x");
    const int n = int(x.shape[0]), ch = int(x.shape[1]), h = int(x.shape[2]), w = int(x.shape[3]);
    const PytorchArray& y = c.get(p + "y");
    CAPTURE(i);
    REQUIRE(y.shape == std::vector<int64_t>{n, ch, pp.out_h(h), pp.out_w(w)});
    const Vec& dy = c.get(p + "dy").values;
    if (is_max) {
      const auto f = maxpool_forward(pp, n, ch, h, w, x.values);
      CHECK(max_violation(f.y, y.values, 0, 0) == 0.0);
      CHECK(max_violation(maxpool_backward(pp, n, ch, h, w, f.argmax, dy), c.get(p + "dx").values, 1e-15, 1e-13) ==
            0.0);
    } else {
      CHECK(max_violation(avgpool_forward(pp, include_pad, n, ch, h, w, x.values), y.values, 1e-15, 1e-13) == 0.0);
      CHECK(max_violation(avgpool_backward(pp, include_pad, n, ch, h, w, dy), c.get(p + "dx").values, 1e-15, 1e-13) ==
            0.0);
    }
  }
  CHECK(cases >= 38);
}

TEST_CASE("pytorch: the channel shuffle equals torchvision's reshape-transpose-reshape" * doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("shuffle" + std::to_string(i) + ".x"); ++i, ++cases) {
    const std::string p = "shuffle" + std::to_string(i) + ".";
    const int groups = int(c.get(p + "params").values[0]);
    const PytorchArray& x = c.get(p + "x");
    const int n = int(x.shape[0]), ch = int(x.shape[1]), hw = int(x.shape[2] * x.shape[3]);
    CAPTURE(i);
    CHECK(channel_shuffle_forward(groups, n, ch, hw, x.values) == c.get(p + "y").values);
    CHECK(channel_shuffle_backward(groups, n, ch, hw, c.get(p + "dy").values) == c.get(p + "dx").values);
  }
  CHECK(cases >= 5);
}

TEST_CASE("pytorch: constant padding and cropping equal F.pad" * doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("pad" + std::to_string(i) + ".x"); ++i, ++cases) {
    const std::string p = "pad" + std::to_string(i) + ".";
    const Vec& q = c.get(p + "params").values;
    const PadParams pp{{int(q[0]), int(q[1]), int(q[2])}, {int(q[3]), int(q[4]), int(q[5])}, q[6]};
    const PytorchArray& x = c.get(p + "x");
    const int n = int(x.shape[0]), ch = int(x.shape[1]), h = int(x.shape[2]), w = int(x.shape[3]);
    CAPTURE(i);
    REQUIRE(c.get(p + "y").shape == std::vector<int64_t>{n, pp.out(0, ch), pp.out(1, h), pp.out(2, w)});
    CHECK(pad_forward(pp, n, ch, h, w, x.values) == c.get(p + "y").values);
    CHECK(pad_backward(pp, n, ch, h, w, c.get(p + "dy").values) == c.get(p + "dx").values);
  }
  CHECK(cases >= 6);
}

TEST_CASE("pytorch: the AdamW reference takes torch.optim.AdamW's steps" * doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("adamw" + std::to_string(i) + ".w0"); ++i, ++cases) {
    const std::string p = "adamw" + std::to_string(i) + ".";
    const auto& q = c.get(p + "params").values;
    const AdamWParams ap{q[0], q[1], q[2], q[3], q[4]};
    Vec w = c.get(p + "w0").values;
    const size_t n = w.size();
    Vec m(n, 0.0), v(n, 0.0);
    const Vec& grads = c.get(p + "grads").values;
    const Vec& want = c.get(p + "w").values;
    for (int t = 1; t <= 4; ++t) {
      CAPTURE(i);
      CAPTURE(t);
      adamw_step(ap, t, w, Vec(grads.begin() + long(n) * (t - 1), grads.begin() + long(n) * t), m, v);
      CHECK(max_violation(w, Vec(want.begin() + long(n) * (t - 1), want.begin() + long(n) * t), 1e-14, 1e-12) == 0.0);
    }
  }
  CHECK(cases >= 3);
}

TEST_CASE("pytorch: matmul with transposes, alpha, batch broadcasting and beta * c, and every gradient, equal torch" *
          doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("matmul" + std::to_string(i) + ".a"); ++i, ++cases) {
    const std::string p = "matmul" + std::to_string(i) + ".";
    const Vec& q = c.get(p + "params").values;
    const PytorchArray &a = c.get(p + "a"), &b = c.get(p + "b"), &y = c.get(p + "y");
    const MatmulRef r{a.shape, b.shape, q[0] != 0, q[1] != 0, q[2]};
    CAPTURE(i);
    CHECK(matmul_shape(r) == y.shape);
    Vec want_y = matmul_forward(r, a.values, b.values);
    const Vec& dy = c.get(p + "dy").values;
    if (c.has(p + "c")) {  // Gemm's beta * c, broadcast to the 2-D product
      const PytorchArray& cv = c.get(p + "c");
      want_y = add_c_term(want_y, y.shape[0], y.shape[1], cv.values, cv.shape, q[3]);
      CHECK(max_violation(c_term_backward(dy, y.shape[0], y.shape[1], cv.shape, q[3]), c.get(p + "dc").values, 1e-14,
                          1e-12) == 0.0);
    }
    CHECK(max_violation(want_y, y.values, 1e-14, 1e-12) == 0.0);
    const MatmulGrads g = matmul_backward(r, a.values, b.values, dy);
    CHECK(max_violation(g.da, c.get(p + "da").values, 1e-14, 1e-12) == 0.0);
    CHECK(max_violation(g.db, c.get(p + "db").values, 1e-14, 1e-12) == 0.0);
  }
  CHECK(cases >= 14);
}

TEST_CASE("pytorch: softmax and log_softmax and their gradients equal torch.softmax and torch.log_softmax" *
          doctest::skip()) {
  const PytorchCases c = PytorchCases::load();
  int cases = 0;
  for (int i = 0; c.has("softmax" + std::to_string(i) + ".x"); ++i, ++cases) {
    const std::string p = "softmax" + std::to_string(i) + ".";
    const Vec& q = c.get(p + "params").values;
    const SoftmaxShape s{int64_t(q[0]), int64_t(q[1]), int64_t(q[2])};
    const bool log = q[3] != 0;
    CAPTURE(i);
    const Vec y = softmax_forward(s, log, c.get(p + "x").values);
    CHECK(max_violation(y, c.get(p + "y").values, 1e-15, 1e-13) == 0.0);
    CHECK(max_violation(softmax_backward(s, log, y, c.get(p + "dy").values), c.get(p + "dx").values, 1e-14, 1e-12) ==
          0.0);
  }
  CHECK(cases >= 12);
}
