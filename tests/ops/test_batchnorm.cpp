// Batch normalization on the device against the double-precision reference: training and
// inference forwards (running-stat update, saved statistics), every backward (plain and
// accumulating), the fused ReLU, tiny and odd shapes, ResNet layer shapes, refused inputs.
#include "gpu.h"
#include "reference/batchnorm.h"

#include "vknn/ops/batchnorm.h"

using namespace vknn;
using namespace vknn::test;

namespace {

// `sums`: the tolerance of dgamma and dbeta, per-channel sums over M = N*H*W products.
void check_batchnorm(const BatchNormParams& p, Shape shape, uint32_t seed, Tolerance sums = {}) {
  CAPTURE(shape.str());
  CAPTURE(p.training);
  CAPTURE(p.relu);
  const int n = int(shape[0]), c = int(shape[1]), h = int(shape[2]), w = int(shape[3]);
  const size_t count = size_t(shape.numel()), cs = size_t(c);
  const Shape cshape{c};
  // A nonzero mean (x in [-1, 3]) exercises the two-pass variance.
  const auto x = random_floats(count, seed, -1, 3), dy = random_floats(count, seed + 1);
  const auto gamma = random_floats(cs, seed + 2, 0.5f, 1.5f), beta = random_floats(cs, seed + 3);
  const auto rm = random_floats(cs, seed + 4), rv = random_floats(cs, seed + 5, 0.5f, 2.0f);
  const auto dx0 = random_floats(count, seed + 6), dg0 = random_floats(cs, seed + 7), db0 = random_floats(cs, seed + 8);

  const ref::BatchNormParams rp{p.eps, p.momentum, p.training, p.relu};
  const auto f = ref::batchnorm_forward(rp, n, c, h, w, to_double(x), to_double(gamma), to_double(beta),
                                        to_double(rm), to_double(rv));

  auto tx = make_tensor(shape, x), ty = make_tensor(shape), ty2 = make_tensor(shape), ty3 = make_tensor(shape);
  auto tg = make_tensor(cshape, gamma), tb = make_tensor(cshape, beta);
  auto trm = make_tensor(cshape, rm), trv = make_tensor(cshape, rv);
  auto tsm = make_tensor(cshape), tsi = make_tensor(cshape);
  auto tdy = make_tensor(shape, dy), tdx = make_tensor(shape), tdg = make_tensor(cshape), tdb = make_tensor(cshape);
  auto tdx_acc = make_tensor(shape, dx0), tdg_acc = make_tensor(cshape, dg0), tdb_acc = make_tensor(cshape, db0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_batchnorm_forward(cl, p, tx.view(), tg.view(), tb.view(), trm.view(), trv.view(), ty.view(),
                                        tsm.view(), tsi.view()));
    if (!p.training) {  // without saved statistics, both variants
      BatchNormParams q = p;
      q.variant = BatchNormVariant::elementwise;
      REQUIRE_OK(record_batchnorm_forward(cl, q, tx.view(), tg.view(), tb.view(), trm.view(), trv.view(), ty2.view(),
                                          {}, {}));
      q.variant = BatchNormVariant::per_channel;
      REQUIRE_OK(record_batchnorm_forward(cl, q, tx.view(), tg.view(), tb.view(), trm.view(), trv.view(), ty3.view(),
                                          {}, {}));
    }
    REQUIRE_OK(record_batchnorm_backward(cl, p, tx.view(), tg.view(), tsm.view(), tsi.view(), ty.view(), tdy.view(),
                                         tdx.view(), tdg.view(), tdb.view(), false, false));
    REQUIRE_OK(record_batchnorm_backward(cl, p, tx.view(), tg.view(), tsm.view(), tsi.view(), ty.view(), tdy.view(),
                                         tdx_acc.view(), tdg_acc.view(), tdb_acc.view(), true, true));
  });
  const auto y = ty.read();
  check_close(y, f.y, {}, "batchnorm y");
  if (!p.training) {
    check_close(ty2.read(), f.y, {}, "batchnorm y (inference, elementwise)");
    check_close(ty3.read(), f.y, {}, "batchnorm y (inference, per channel)");
  }
  check_close(tsm.read(), f.save_mean, {}, "batchnorm save_mean");
  check_close(tsi.read(), f.save_invstd, {}, "batchnorm save_invstd");
  check_close(trm.read(), f.running_mean, {}, "batchnorm running_mean");
  check_close(trv.read(), f.running_var, {}, "batchnorm running_var");

  // The ReLU mask comes from the device's y, so that an element within rounding of zero
  // cannot flip the mask between device and reference.
  const auto b = ref::batchnorm_backward(rp, n, c, h, w, to_double(x), to_double(gamma), f.save_mean, f.save_invstd,
                                         to_double(y), to_double(dy));
  check_close(tdx.read(), b.dx, {}, "batchnorm dx");
  check_close(tdg.read(), b.dgamma, sums, "batchnorm dgamma");
  check_close(tdb.read(), b.dbeta, sums, "batchnorm dbeta");
  check_close(tdx_acc.read(), plus(b.dx, dx0), {}, "batchnorm dx (accumulate)");
  check_close(tdg_acc.read(), plus(b.dgamma, dg0), sums, "batchnorm dgamma (accumulate)");
  check_close(tdb_acc.read(), plus(b.dbeta, db0), sums, "batchnorm dbeta (accumulate)");
}

BatchNormParams bn(bool training, bool relu = false) {
  BatchNormParams p;
  p.training = training;
  p.relu = relu;
  return p;
}

}  // namespace

TEST_CASE("batchnorm: tiny and odd shapes, training and inference") {
  for (bool training : {true, false}) {
    CAPTURE(training);
    check_batchnorm(bn(training), {1, 1, 1, 1}, 1);  // M == 1: var 0, running var uses it
    check_batchnorm(bn(training), {1, 3, 1, 1}, 2);
    check_batchnorm(bn(training), {4, 1, 1, 1}, 3);  // 1x1 images: statistics over the batch
    check_batchnorm(bn(training), {2, 3, 5, 7}, 4);
    check_batchnorm(bn(training), {3, 5, 17, 19}, 5);  // H*W not a multiple of the workgroup
    check_batchnorm(bn(training, true), {2, 3, 9, 11}, 6);
  }
}

// dgamma and dbeta of the big-channel layers are fp32 sums of M = 6272..25088 terms of
// magnitude ~1 (per-invocation partial sums, then a workgroup tree): their rounding error
// grows with M and reaches ~1.5e-5 absolute on lavapipe, so a value that happens to be near
// zero needs abs 1e-4. Everything else, dx included, holds the default 1e-5 / 1e-4.
constexpr Tolerance kBigChannelSums{1e-4, 1e-4};

TEST_CASE("batchnorm: ResNet stem 64x112x112, batch 1, with fused ReLU") {
  check_batchnorm(bn(true, true), {1, 64, 112, 112}, 11, kBigChannelSums);
}

TEST_CASE("batchnorm: ResNet 64x56x56, batch 2, training and inference") {
  check_batchnorm(bn(true), {2, 64, 56, 56}, 12, kBigChannelSums);
  check_batchnorm(bn(false, true), {2, 64, 56, 56}, 13, kBigChannelSums);
}

TEST_CASE("batchnorm: ResNet heads 512x7x7 and 2048x7x7, batch 2") {
  check_batchnorm(bn(true, true), {2, 512, 7, 7}, 14);
  check_batchnorm(bn(true), {2, 2048, 7, 7}, 15);
  check_batchnorm(bn(false), {2, 2048, 7, 7}, 16);
}

TEST_CASE("batchnorm: refused inputs name the op and the shapes") {
  const Shape s{2, 3, 4, 4};
  auto x = make_tensor(s), c3 = make_tensor({3}), c4 = make_tensor({4}), c13 = make_tensor({1, 3});
  auto bad = make_tensor({2, 3, 4, 5}), flat = make_tensor({2, 3}), empty = make_tensor({2, 0, 4, 4});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const auto p = bn(true);
  const char* fwd = "batchnorm_forward";
  const char* bwd = "batchnorm_backward";
  const TensorView X = x.view(), C3 = c3.view();
  check_refused(record_batchnorm_forward(*cl, p, X, c4.view(), C3, C3, C3, X, C3, C3), fwd,
                {"gamma", "(4)", "(3)", "(2,3,4,4)"});
  check_refused(record_batchnorm_forward(*cl, p, X, C3, C3, C3, c13.view(), X, C3, C3), fwd,
                {"running_var", "(1,3)"});
  check_refused(record_batchnorm_forward(*cl, p, X, C3, C3, C3, C3, bad.view(), C3, C3), fwd,
                {"y", "(2,3,4,5)", "(2,3,4,4)"});
  check_refused(record_batchnorm_forward(*cl, p, X, C3, C3, C3, C3, X, {}, {}), fwd,
                {"save_mean", "(3)", "(2,3,4,4)"});
  check_refused(record_batchnorm_forward(*cl, p, X, C3, C3, C3, C3, X, C3, c4.view()), fwd, {"save_invstd", "(4)"});
  check_refused(record_batchnorm_forward(*cl, bn(false), X, C3, C3, C3, C3, X, C3, {}), fwd, {"save_invstd", "()"});
  check_refused(record_batchnorm_forward(*cl, p, flat.view(), C3, C3, C3, C3, flat.view(), C3, C3), fwd,
                {"rank 4", "(2,3)"});
  check_refused(record_batchnorm_forward(*cl, p, empty.view(), C3, C3, C3, C3, empty.view(), C3, C3), fwd,
                {"(2,0,4,4)"});
  BatchNormParams zero_eps = p;
  zero_eps.eps = 0;
  check_refused(record_batchnorm_forward(*cl, zero_eps, X, C3, C3, C3, C3, X, C3, C3), fwd, {"eps"});
  check_refused(record_batchnorm_backward(*cl, p, X, C3, C3, C3, {}, bad.view(), X, C3, C3, false, false), bwd,
                {"dy", "(2,3,4,5)", "(2,3,4,4)"});
  check_refused(record_batchnorm_backward(*cl, p, X, C3, C3, C3, {}, X, X, c4.view(), C3, false, false), bwd,
                {"dgamma", "(4)", "(2,3,4,4)"});
  check_refused(record_batchnorm_backward(*cl, p, X, C3, c13.view(), C3, {}, X, X, C3, C3, false, false), bwd,
                {"save_mean", "(1,3)"});
  check_refused(record_batchnorm_backward(*cl, bn(true, true), X, C3, C3, C3, {}, X, X, C3, C3, false, false), bwd,
                {"y", "ReLU", "(2,3,4,4)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}

TEST_CASE("batchnorm: the ReLU-free backward ignores y, which may be empty") {
  const Shape s{1, 2, 3, 3};
  auto x = make_tensor(s, random_floats(18, 1)), dy = make_tensor(s, random_floats(18, 2)), dx = make_tensor(s);
  auto g = make_tensor({2}, {1, 1}), m = make_tensor({2}, {0, 0}), is = make_tensor({2}, {1, 1});
  auto dg = make_tensor({2}), db = make_tensor({2});
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_batchnorm_backward(cl, bn(false), x.view(), g.view(), m.view(), is.view(), {}, dy.view(),
                                         dx.view(), dg.view(), db.view(), false, false));
  });
  check_close(dx.read(), to_double(dy.read()), {}, "batchnorm dx (identity statistics)");
}

namespace {

// Synchronized batch norm's kernels against the reference: the moments and backward sums of
// one process's share, and the forward and backward that take the whole batch's values
// (here this process's own, so they must give the plain reference).
void check_batchnorm_sync(bool relu, Shape shape, uint32_t seed, Tolerance sums = {}) {
  CAPTURE(shape.str());
  CAPTURE(relu);
  const BatchNormParams p = bn(true, relu);
  const int n = int(shape[0]), c = int(shape[1]), h = int(shape[2]), w = int(shape[3]);
  const size_t count = size_t(shape.numel()), cs = size_t(c);
  const double M = double(n) * h * w;
  const auto x = random_floats(count, seed, -1, 3), dy = random_floats(count, seed + 1);
  const auto gamma = random_floats(cs, seed + 2, 0.5f, 1.5f), beta = random_floats(cs, seed + 3);
  const auto rm = random_floats(cs, seed + 4), rv = random_floats(cs, seed + 5, 0.5f, 2.0f);
  const ref::BatchNormParams rp{p.eps, p.momentum, true, relu};
  const auto f = ref::batchnorm_forward(rp, n, c, h, w, to_double(x), to_double(gamma), to_double(beta),
                                        to_double(rm), to_double(rv));
  // The reference moments: mean and the sum of squared deviations, in double.
  std::vector<double> moments(2 * cs, 0.0);
  for (int k = 0; k < c; ++k) {
    double s = 0, q = 0;
    for (int i = 0; i < n; ++i)
      for (int e = 0; e < h * w; ++e) s += x[(size_t(i) * cs + size_t(k)) * size_t(h * w) + size_t(e)];
    const double mean = s / M;
    for (int i = 0; i < n; ++i)
      for (int e = 0; e < h * w; ++e) {
        const double d = x[(size_t(i) * cs + size_t(k)) * size_t(h * w) + size_t(e)] - mean;
        q += d * d;
      }
    moments[size_t(k)] = mean, moments[cs + size_t(k)] = q;
  }
  std::vector<float> given(3 * cs);
  for (size_t k = 0; k < cs; ++k) {
    given[k] = float(moments[k]);
    given[cs + k] = float(moments[cs + k] / M);
    given[2 * cs + k] = float(M > 1 ? moments[cs + k] / (M - 1) : moments[cs + k] / M);
  }
  auto tx = make_tensor(shape, x), ty = make_tensor(shape), tm = make_tensor({2, c}), tgiven = make_tensor({3, c}, given);
  auto tg = make_tensor({c}, gamma), tb = make_tensor({c}, beta), trm = make_tensor({c}, rm), trv = make_tensor({c}, rv);
  auto tsm = make_tensor({c}), tsi = make_tensor({c});
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_batchnorm_moments(cl, tx.view(), tm.view()));
    REQUIRE_OK(record_batchnorm_forward(cl, p, tx.view(), tg.view(), tb.view(), trm.view(), trv.view(), ty.view(),
                                        tsm.view(), tsi.view(), tgiven.view()));
  });
  check_close(tm.read(), moments, sums, "batchnorm_moments");
  const auto y = ty.read();
  check_close(y, f.y, {}, "batchnorm y (given statistics)");
  check_close(tsm.read(), f.save_mean, {}, "batchnorm save_mean (given statistics)");
  check_close(tsi.read(), f.save_invstd, {}, "batchnorm save_invstd (given statistics)");
  check_close(trm.read(), f.running_mean, {}, "batchnorm running_mean (given statistics)");
  check_close(trv.read(), f.running_var, {}, "batchnorm running_var (given statistics)");

  const auto b = ref::batchnorm_backward(rp, n, c, h, w, to_double(x), to_double(gamma), f.save_mean, f.save_invstd,
                                         to_double(y), to_double(dy));
  std::vector<double> want_sums(2 * cs);
  std::vector<float> means(2 * cs);
  for (size_t k = 0; k < cs; ++k) {
    want_sums[k] = b.dbeta[k], want_sums[cs + k] = b.dgamma[k];
    means[k] = float(b.dbeta[k] / M), means[cs + k] = float(b.dgamma[k] / M);
  }
  auto tdy = make_tensor(shape, dy), tdx = make_tensor(shape), tdg = make_tensor({c}), tdb = make_tensor({c});
  auto tsums = make_tensor({2, c}), tmeans = make_tensor({2, c}, means);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_batchnorm_backward_reduce(cl, p, tx.view(), tsm.view(), tsi.view(), ty.view(), tdy.view(),
                                                tsums.view()));
    REQUIRE_OK(record_batchnorm_backward(cl, p, tx.view(), tg.view(), tsm.view(), tsi.view(), ty.view(), tdy.view(),
                                         tdx.view(), tdg.view(), tdb.view(), false, false, tmeans.view()));
  });
  check_close(tsums.read(), want_sums, sums, "batchnorm_backward_reduce");
  check_close(tdx.read(), b.dx, {}, "batchnorm dx (given means)");
  check_close(tdg.read(), b.dgamma, sums, "batchnorm dgamma (given means: this call's sums)");
  check_close(tdb.read(), b.dbeta, sums, "batchnorm dbeta (given means: this call's sums)");
}

}  // namespace

TEST_CASE("batchnorm: synchronized kernels (moments, backward sums, given statistics) at odd and ResNet shapes") {
  check_batchnorm_sync(false, {1, 1, 1, 1}, 31);
  check_batchnorm_sync(false, {2, 3, 5, 7}, 32);
  check_batchnorm_sync(true, {3, 5, 17, 19}, 33);
  check_batchnorm_sync(true, {2, 64, 56, 56}, 34, kBigChannelSums);
  const BatchNormParams p = bn(true);
  auto x = make_tensor({2, 3, 4, 4}), c3 = make_tensor({3}), m23 = make_tensor({2, 3}), m33 = make_tensor({3, 3});
  auto m24 = make_tensor({2, 4});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const TensorView X = x.view(), C3 = c3.view();
  check_refused(record_batchnorm_moments(*cl, X, m24.view()), "batchnorm_moments", {"moments", "(2,4)", "(2,3)"});
  check_refused(record_batchnorm_forward(*cl, p, X, C3, C3, C3, C3, X, C3, C3, m23.view()), "batchnorm_forward",
                {"given", "(2,3)", "(3,3)"});
  check_refused(record_batchnorm_backward(*cl, p, X, C3, C3, C3, {}, X, X, C3, C3, false, false, m33.view()),
                "batchnorm_backward", {"given", "(3,3)", "(2,3)"});
  check_refused(record_batchnorm_backward_reduce(*cl, p, X, C3, C3, {}, X, m24.view()), "batchnorm_backward_reduce",
                {"sums", "(2,4)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
