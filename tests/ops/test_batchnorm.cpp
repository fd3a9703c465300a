// Batch normalization on the device: every case of graph/cases/ops/batchnorm.cpp against the
// double-precision reference (training and inference forwards with the running-stat update and
// saved statistics, both inference variants and the profile's choice, every backward plain and
// accumulating, the fused ReLU, the synchronized kernels; tiny and odd shapes, ResNet-50
// layers), refused inputs, and the ReLU-free backward without y.
#include "op_cases.h"
#include "reference/batchnorm.h"

#include "vknn/ops/batchnorm.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(batchnorm, ref::batchnorm_case_outputs)

namespace {

BatchNormParams bn(bool training, bool relu = false) {
  BatchNormParams p;
  p.training = training;
  p.relu = relu;
  return p;
}

}  // namespace

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

TEST_CASE("batchnorm: the synchronized kernels refuse inputs, naming the op and the shapes") {
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
