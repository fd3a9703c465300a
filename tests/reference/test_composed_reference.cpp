// The references composed into a small network, through the one header: a conv/ReLU/LRN/
// max-pool stem (AlexNet's order, Krizhevsky et al. 2012 sec. 3.3-3.4), a residual block with
// a grouped conv and batch norm (He et al. 2016), a channel split with dropout on one part,
// global average pooling, a linear layer and softmax cross-entropy. The chained backwards
// (with the fan-out of the shortcut summed) must equal central finite differences of the
// loss with respect to the input and every parameter, which checks that the references agree
// on layouts and conventions with each other, not only one at a time.
#include "reference.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace vknn::ref;

namespace {

constexpr int kN = 2, kC = 3, kH = 7, kW = 7, kF = 4, kClasses = 5;
const Conv2dShape kConv1{kN, kC, kH, kW, kF, 3, 3, 2, 2, 1, 1, 1};        // -> (2,4,4,4)
const LrnParams kLrn{3, 0.1, 0.75, 2.0};                                  // large alpha: both terms matter
const Pool2dParams kPool{3, 3, 2, 2, 1, 1};                               // 4x4 -> 2x2 (ResNet stem's pooling)
const Conv2dShape kConv2{kN, kF, 2, 2, kF, 3, 3, 1, 1, 1, 1, 2};          // groups 2, same size, no bias
const std::vector<int> kSplit{1, 3};                                      // channels of the split
const std::vector<int32_t> kLabels{1, 3};
constexpr float kDropP = 0.25f;
constexpr uint64_t kSeed = 0x5eed5eed12345678ull;
constexpr uint32_t kStep = 3;

struct Params {
  Vec w1, b1, w2, gamma, beta, wl, bl;
};

// Everything the backward needs, plus the smallest distance of any ReLU input from 0 and of
// any max-pool winner from its runner-up: finite differences are valid only away from kinks.
struct Forward {
  Vec x, y1, a1, scale, z1, y2, s, a2, g;
  MaxPoolForward pool;
  BatchNormForward bn;
  Vec logits;
  double loss = 0;
  double margin = INFINITY;
};

Forward forward(const Params& p, const Vec& x) {
  Forward f;
  f.x = x;
  f.y1 = conv2d_forward(kConv1, x, p.w1, p.b1);
  f.a1 = relu_forward(f.y1);
  auto lrn = lrn_forward(kLrn, kN, kF, 4, 4, f.a1);
  f.z1 = lrn.y;
  f.scale = lrn.scale;
  f.pool = maxpool_forward(kPool, kN, kF, 4, 4, f.z1);

  f.y2 = conv2d_forward(kConv2, f.pool.y, p.w2, {});
  const Vec rm(kF, 0.0), rv(kF, 1.0);
  f.bn = batchnorm_forward(BatchNormParams{}, kN, kF, 2, 2, f.y2, p.gamma, p.beta, rm, rv);
  f.s = add_forward(f.bn.y, f.pool.y);  // the identity shortcut
  f.a2 = relu_forward(f.s);

  auto parts = split_forward(kN, kSplit, 4, f.a2);
  parts[1] = dropout_forward(parts[1], dropout_mask(parts[1].size(), kDropP, kSeed, kStep), kDropP);
  f.g = global_avgpool_forward(kN, kF, 2, 2, concat_forward(kN, kSplit, 4, parts));
  f.logits = linear_forward(kN, kF, kClasses, f.g, p.wl, p.bl, false);
  f.loss = softmax_xent_forward(kN, kClasses, f.logits, kLabels).loss;

  for (double v : f.y1) f.margin = std::min(f.margin, std::abs(v));
  for (double v : f.s) f.margin = std::min(f.margin, std::abs(v));
  // Runner-up of each pooling window. A window of zeros (all ReLU-clipped) is a tie, but every
  // candidate's gradient is then stopped by the ReLU, so only windows with a positive max count.
  for (int plane = 0; plane < kN * kF; ++plane)
    for (int oh = 0; oh < 2; ++oh)
      for (int ow = 0; ow < 2; ++ow) {
        const double best = f.pool.y[size_t((plane * 2 + oh) * 2 + ow)];
        if (!(best > 0)) continue;
        double second = -INFINITY;
        bool skipped_winner = false;
        for (int r = 0; r < 3; ++r)
          for (int c = 0; c < 3; ++c) {
            const int ih = oh * 2 - 1 + r, iw = ow * 2 - 1 + c;
            if (ih < 0 || ih >= 4 || iw < 0 || iw >= 4) continue;
            const double v = f.z1[size_t((plane * 4 + ih) * 4 + iw)];
            if (v == best && !skipped_winner) {
              skipped_winner = true;
              continue;
            }
            second = std::max(second, v);
          }
        f.margin = std::min(f.margin, best - second);
      }
  return f;
}

struct Grads {
  Vec dx;
  Params dp;
};

Grads backward(const Params& p, const Forward& f) {
  Grads g;
  const Vec dlogits = softmax_xent_backward(kN, kClasses, f.logits, kLabels);
  const Vec dg = linear_backward_data(kN, kF, kClasses, dlogits, p.wl);
  g.dp.wl = linear_backward_weight(kN, kF, kClasses, dlogits, f.g);
  g.dp.bl = linear_backward_bias(kN, kClasses, dlogits);

  auto parts = concat_backward(kN, kSplit, 4, global_avgpool_backward(kN, kF, 2, 2, dg));
  parts[1] = dropout_backward(parts[1], dropout_mask(parts[1].size(), kDropP, kSeed, kStep), kDropP);
  const Vec ds = relu_backward(f.a2, split_backward(kN, kSplit, 4, parts));

  const AddBackward add = add_backward(ds);
  const BatchNormBackward bn = batchnorm_backward(BatchNormParams{}, kN, kF, 2, 2, f.y2, p.gamma, f.bn.save_mean,
                                                  f.bn.save_invstd, f.bn.y, add.da);
  g.dp.gamma = bn.dgamma;
  g.dp.beta = bn.dbeta;
  conv2d_backward_weight(kConv2, f.pool.y, bn.dx, g.dp.w2, nullptr);
  // The pooled tensor feeds both the block and the shortcut: its gradient is the sum.
  const Vec dpool = add_forward(conv2d_backward_data(kConv2, bn.dx, p.w2), add.db);

  const Vec dz1 = maxpool_backward(kPool, kN, kF, 4, 4, f.pool.argmax, dpool);
  const Vec da1 = lrn_backward(kLrn, kN, kF, 4, 4, f.a1, f.scale, dz1);
  const Vec dy1 = relu_backward(f.a1, da1);
  g.dx = conv2d_backward_data(kConv1, dy1, p.w1);
  conv2d_backward_weight(kConv1, f.x, dy1, g.dp.w1, &g.dp.b1);
  return g;
}

}  // namespace

TEST_CASE("reference composed: a small network's chained backward matches finite differences of its loss") {
  Params p{random_vec(kConv1.w_size(), 1), random_vec(kF, 2, -0.2, 0.2), random_vec(kConv2.w_size(), 3),
           random_vec(kF, 4, 0.5, 1.5),    random_vec(kF, 5),              random_vec(kClasses * kF, 6),
           random_vec(kClasses, 7)};
  const Vec x = random_vec(size_t(kN) * kC * kH * kW, 8, -2, 2);
  const Forward f = forward(p, x);
  REQUIRE(std::isfinite(f.loss));
  REQUIRE(f.margin > 1e-4);  // no ReLU input or pooling tie within reach of a 1e-6 step
  const Grads g = backward(p, f);

  constexpr double kAbs = 1e-8, kRel = 1e-6;
  CHECK(max_violation(g.dx, numeric_gradient([&](const Vec& v) { return forward(p, v).loss; }, x), kAbs, kRel) ==
        0.0);
  // d loss / d (one parameter tensor), the others held fixed.
  auto numeric_param = [&](Vec Params::*member) {
    return numeric_gradient(
        [&](const Vec& v) {
          Params q = p;
          q.*member = v;
          return forward(q, x).loss;
        },
        p.*member);
  };
  CHECK(max_violation(g.dp.w1, numeric_param(&Params::w1), kAbs, kRel) == 0.0);
  CHECK(max_violation(g.dp.b1, numeric_param(&Params::b1), kAbs, kRel) == 0.0);
  CHECK(max_violation(g.dp.w2, numeric_param(&Params::w2), kAbs, kRel) == 0.0);
  CHECK(max_violation(g.dp.gamma, numeric_param(&Params::gamma), kAbs, kRel) == 0.0);
  CHECK(max_violation(g.dp.beta, numeric_param(&Params::beta), kAbs, kRel) == 0.0);
  CHECK(max_violation(g.dp.wl, numeric_param(&Params::wl), kAbs, kRel) == 0.0);
  CHECK(max_violation(g.dp.bl, numeric_param(&Params::bl), kAbs, kRel) == 0.0);
}

TEST_CASE("reference composed: one SGD step of either rule along the gradient lowers the loss") {
  Params p{random_vec(kConv1.w_size(), 11), random_vec(kF, 12, -0.2, 0.2), random_vec(kConv2.w_size(), 13),
           random_vec(kF, 14, 0.5, 1.5),    random_vec(kF, 15),              random_vec(kClasses * kF, 16),
           random_vec(kClasses, 17)};
  const Vec x = random_vec(size_t(kN) * kC * kH * kW, 18, -2, 2);
  const Forward f = forward(p, x);
  const Grads g = backward(p, f);
  // Both rules, from zero momentum and without weight decay, step by -lr * g.
  const SgdParams sgd{0.05, 0.9, 0.0};
  for (int rule = 0; rule < 2; ++rule) {
    CAPTURE(rule);
    Params q = p;
    for (auto [w, dw] : {std::pair{&q.w1, &g.dp.w1}, {&q.b1, &g.dp.b1}, {&q.w2, &g.dp.w2}, {&q.gamma, &g.dp.gamma},
                         {&q.beta, &g.dp.beta}, {&q.wl, &g.dp.wl}, {&q.bl, &g.dp.bl}}) {
      Vec v(w->size(), 0.0);
      if (rule == 0)
        sgd_paper_step(sgd, *w, *dw, v);
      else
        sgd_pytorch_step(sgd, *w, *dw, v);
    }
    CHECK(forward(q, x).loss < f.loss);
  }
}
