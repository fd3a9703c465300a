// The references against PyTorch on the arrays tests/reference/pytorch/pytorch_cases.py
// computes (float64). These cases are skipped in the normal run, which has no such arrays;
// the script runs them with --no-skip.
#include "activation.h"
#include "adamw.h"
#include "binary.h"
#include "pytorch/cases.h"
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
          "leaky_relu" * doctest::skip()) {
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
  CHECK(cases >= 8);
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
