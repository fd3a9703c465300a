// The softmax cross-entropy reference: uniform logits give log K, hand values, the top-k tie
// rule, invalid labels, and the backward against finite differences.
#include "softmax_xent.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace vknn::ref;

TEST_CASE("reference softmax_xent: uniform logits give log K, every sample top-1 correct by the tie rule") {
  for (int k : {1, 10, 1000}) {
    CAPTURE(k);
    const Vec z(size_t(3) * k, 0.7);
    const auto f = softmax_xent_forward(3, k, z, {0, k - 1, k / 2});
    CHECK(f.loss == doctest::Approx(std::log(double(k))).epsilon(1e-12));
    CHECK(f.top1 == 3);  // nothing is strictly greater than the label's logit
    CHECK(f.top5 == 3);
    CHECK(f.invalid == 0);
  }
}

TEST_CASE("reference softmax_xent: values by hand") {
  // One sample, logits (1, 2, 3), label 0: loss = log(e + e^2 + e^3) - 1.
  const auto f = softmax_xent_forward(1, 3, {1, 2, 3}, {0});
  CHECK(f.loss == doctest::Approx(std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1).epsilon(1e-14));
  CHECK(f.top1 == 0);
  CHECK(f.top5 == 1);
  // Large logits stay finite (the max is subtracted; log 2 + 1000 - 1000 rounds at 1e-13).
  const auto g = softmax_xent_forward(1, 2, {1000, 1000}, {1});
  CHECK(g.loss == doctest::Approx(std::log(2.0)).epsilon(1e-12));
}

TEST_CASE("reference softmax_xent: top-k counts classes strictly greater than the label's logit") {
  // 7 classes; label 3 has logit 5. Classes with logit > 5: {0, 1, 2, 6} = 4 -> top-5, not top-1.
  const Vec z{9, 8, 7, 5, 5, 5, 6};
  CHECK(!top_k_correct(7, z, 0, 3, 1));
  CHECK(top_k_correct(7, z, 0, 3, 5));
  CHECK(!top_k_correct(7, z, 0, 3, 4));
  // Label 4 ties label 3 (logit 5): ties do not count against it.
  CHECK(top_k_correct(7, z, 0, 4, 5));
  // Label 0 is the unique max.
  CHECK(top_k_correct(7, z, 0, 0, 1));
  // 5 classes strictly above: not top-5.
  const Vec w{6, 6, 6, 6, 6, 1, 1};
  CHECK(!top_k_correct(7, w, 0, 5, 5));
  CHECK(top_k_correct(7, w, 0, 0, 1));  // four others tie, none is greater
}

TEST_CASE("reference softmax_xent: an invalid label makes the loss NaN, is counted, and gets no gradient") {
  const Vec z = random_vec(3 * 4, 81);
  const auto f = softmax_xent_forward(3, 4, z, {1, 4, -1});
  CHECK(std::isnan(f.loss));
  CHECK(f.invalid == 2);
  CHECK(f.top5 == 1);
  const Vec d = softmax_xent_backward(3, 4, z, {1, 4, -1});
  for (int j = 4; j < 12; ++j) CHECK(d[size_t(j)] == 0.0);
}

VKNN_CHECK_CASE_GRADIENTS(softmax_xent, softmax_xent_case_outputs)

TEST_CASE("reference softmax_xent: label smoothing by hand") {
  // logits (1, 2, 3), label 0, eps 0.3: q = (0.8, 0.1, 0.1);
  // loss = lse - 0.8 * 1 - 0.1 * 2 - 0.1 * 3 = lse - 1.3.
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  CHECK(softmax_xent_forward(1, 3, {1, 2, 3}, {0}, 0.3).loss == doctest::Approx(lse - 1.3).epsilon(1e-14));
  // eps = 1: the target is uniform whatever the label; uniform logits then give log K.
  CHECK(softmax_xent_forward(2, 4, Vec(8, 0.25), {0, 3}, 1.0).loss == doctest::Approx(std::log(4.0)).epsilon(1e-14));
  const Vec d = softmax_xent_backward(1, 3, {1, 2, 3}, {0}, 1.0, 0.3);
  CHECK(d[0] == doctest::Approx(std::exp(1.0 - lse) - 0.8).epsilon(1e-14));
  CHECK(d[2] == doctest::Approx(std::exp(3.0 - lse) - 0.1).epsilon(1e-14));
}
