// Folding inference BN into a convolution's weights on the device: every case of
// graph/cases/ops/batchnorm_fold.cpp against the reference, and refused inputs.
#include "op_cases.h"
#include "reference/batchnorm_fold.h"

#include "vknn/ops/batchnorm_fold.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(batchnorm_fold, ref::batchnorm_fold_case_outputs)

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
