// Philox4x32-10 against Random123's known-answer vectors, and the dropout mask's statistics,
// determinism and backward.
#include "dropout.h"
#include "philox.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace vknn::ref;
using vknn::philox::Counter;

TEST_CASE("reference dropout: Philox4x32-10 known-answer vectors (Random123 kat_vectors)") {
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) == Counter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        Counter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        Counter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
  // constexpr: usable at compile time too.
  static_assert(vknn::philox::philox4x32_10({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5u);
}

TEST_CASE("reference dropout: the draw is word 0's top 24 bits, and the key is the seed's halves") {
  const uint64_t seed = 0x0123456789abcdefull;
  const auto r = philox4x32_10({7, 3, 0, 0}, {0x89abcdefu, 0x01234567u});
  CHECK(dropout_uniform(seed, 3, 7) == float(r[0] >> 8) / 16777216.0f);
  CHECK(dropout_uniform(0, 0, 0) == float(0x6627e8d5u >> 8) * 0x1.0p-24f);
}

TEST_CASE("reference dropout: keep fraction is about 1 - p over 100k elements") {
  const size_t count = 100000;
  for (float p : {0.1f, 0.5f, 0.9f}) {
    CAPTURE(p);
    const auto keep = dropout_mask(count, p, 1234, 5);
    size_t kept = 0;
    for (auto k : keep) kept += k;
    const double frac = double(kept) / count;
    const double sigma = std::sqrt(p * (1 - p) / count);  // binomial
    CHECK(std::abs(frac - (1 - p)) < 5 * sigma);
  }
  // p = 0 keeps everything.
  for (auto k : dropout_mask(1000, 0.0f, 9, 9)) CHECK(k == 1);
}

TEST_CASE("reference dropout: same seed and step give the same mask, another step or seed another") {
  const auto a = dropout_mask(4096, 0.5f, 42, 7);
  CHECK(dropout_mask(4096, 0.5f, 42, 7) == a);
  const auto b = dropout_mask(4096, 0.5f, 42, 8);
  const auto c = dropout_mask(4096, 0.5f, 43, 7);
  const auto d = dropout_mask(4096, 0.5f, 42ull | (1ull << 32), 7);  // the high seed word counts
  for (const auto* other : {&b, &c, &d}) {
    size_t same = 0;
    for (size_t i = 0; i < a.size(); ++i) same += a[i] == (*other)[i];
    CHECK(same > 1800);  // independent masks agree on about half
    CHECK(same < 2300);
  }
}

TEST_CASE("reference dropout: forward values and backward against finite differences with a fixed mask") {
  const float p = 0.25f;
  const auto keep = dropout_mask(301, p, 77, 1);
  const Vec x = random_vec(keep.size(), 71), r = random_vec(keep.size(), 72);
  const Vec y = dropout_forward(x, keep, p);
  // scale is 1/(1-p) rounded to fp32, as on the GPU: within 2^-24 of 1/0.75.
  for (size_t i = 0; i < x.size(); ++i) CHECK(y[i] == doctest::Approx(keep[i] ? x[i] / 0.75 : 0.0).epsilon(1e-7));
  const Vec analytic = dropout_backward(r, keep, p);
  const Vec numeric = numeric_gradient([&](const Vec& v) { return dot(dropout_forward(v, keep, p), r); }, x);
  CHECK(max_violation(analytic, numeric) == 0.0);
}

VKNN_CHECK_CASE_GRADIENTS(dropout, dropout_case_outputs)
