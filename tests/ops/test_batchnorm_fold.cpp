// Folding inference BN into a convolution's weights on the device against the reference:
// odd and real layer shapes, with and without the convolution's own bias, and refusals.
#include "gpu.h"
#include "reference/batchnorm_fold.h"

#include "vknn/ops/batchnorm_fold.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_fold(const Shape& ws, bool bias, float eps, uint32_t seed) {
  CAPTURE(ws.str());
  CAPTURE(bias);
  const Shape ks{ws[0]};
  const size_t n = size_t(ws.numel()), k = size_t(ws[0]);
  const auto w = random_floats(n, seed), b = random_floats(k, seed + 1);
  const auto gamma = random_floats(k, seed + 2, -2, 2), beta = random_floats(k, seed + 3);
  const auto mean = random_floats(k, seed + 4), var = random_floats(k, seed + 5, 0.0f, 3.0f);
  const auto want = ref::batchnorm_fold(eps, to_double(w), bias ? to_double(b) : ref::Vec{}, to_double(gamma),
                                        to_double(beta), to_double(mean), to_double(var));
  auto tw = make_tensor(ws, w), tb = make_tensor(ks, b), tg = make_tensor(ks, gamma), tbeta = make_tensor(ks, beta);
  auto tm = make_tensor(ks, mean), tv = make_tensor(ks, var);
  auto wout = make_tensor(ws, random_floats(n, seed + 6)), bout = make_tensor(ks, random_floats(k, seed + 7));
  const TensorView bview = tb.view();
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_batchnorm_fold(cl, eps, tw.view(), bias ? &bview : nullptr, tg.view(), tbeta.view(), tm.view(),
                                     tv.view(), wout.view(), bout.view()));
  });
  // fp32 products of two or three rounded factors.
  check_close(wout.read(), want.w, {1e-6, 1e-5}, "folded w");
  check_close(bout.read(), want.b, {1e-6, 1e-5}, "folded b");
}

}  // namespace

TEST_CASE("batchnorm_fold: odd and real shapes match the reference") {
  check_fold({1, 1, 1, 1}, false, 1e-5f, 1);
  check_fold({3, 5, 3, 2}, true, 1e-3f, 2);
  check_fold({7, 1, 1, 1}, true, 0.0f, 3);       // more channels than elements per channel
  check_fold({65, 4, 1, 1}, false, 1e-5f, 4);    // 1x1, not a multiple of the workgroup
  check_fold({64, 3, 7, 7}, false, 1e-5f, 5);    // ResNet stem
  check_fold({512, 512, 3, 3}, false, 1e-5f, 6); // ResNet layer4
  check_fold({2048, 512, 1, 1}, true, 1e-5f, 7); // ResNet-50 conv3 of layer4
}

TEST_CASE("batchnorm_fold: refused inputs name the op and the shapes") {
  auto w = make_tensor({4, 2, 3, 3}), k = make_tensor({4}), k5 = make_tensor({5}), w2 = make_tensor({4, 2, 3, 3});
  auto flat = make_tensor({4, 18}), bo = make_tensor({4});
  const TensorView k5v = k5.view();
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_batchnorm_fold(*cl, 1e-5f, flat.view(), nullptr, k.view(), k.view(), k.view(), k.view(),
                                      w2.view(), k5.view()),
                "batchnorm_fold", {"w", "(4,18)"});
  check_refused(record_batchnorm_fold(*cl, 1e-5f, w.view(), &k5v, k.view(), k.view(), k.view(), k.view(), w2.view(),
                                      bo.view()),
                "batchnorm_fold", {"b", "(5)", "(4)"});
  check_refused(record_batchnorm_fold(*cl, 1e-5f, w.view(), nullptr, k5.view(), k.view(), k.view(), k.view(),
                                      w2.view(), bo.view()),
                "batchnorm_fold", {"gamma", "(5)"});
  check_refused(record_batchnorm_fold(*cl, 1e-5f, w.view(), nullptr, k.view(), k.view(), k.view(), k.view(),
                                      w.view(), bo.view()),
                "batchnorm_fold", {"overlaps"});
  check_refused(record_batchnorm_fold(*cl, -1.0f, w.view(), nullptr, k.view(), k.view(), k.view(), k.view(),
                                      w2.view(), bo.view()),
                "batchnorm_fold", {"eps"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
