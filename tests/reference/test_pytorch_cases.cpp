// The references against PyTorch on the arrays tests/reference/pytorch/pytorch_cases.py
// computes (float64). These cases are skipped in the normal run, which has no such arrays;
// the script runs them with --no-skip.
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
