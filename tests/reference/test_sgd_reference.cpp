// The two SGD rules: one and two steps by hand.
#include "sgd.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference sgd: paper rule by hand") {
  // eps 0.1, mu 0.9, lambda 0.01; w 2, g 0.5, v 1.
  const SgdParams p{0.1, 0.9, 0.01};
  Vec w{2}, v{1};
  sgd_paper_step(p, w, {0.5}, v);
  // v = 0.9*1 - 0.01*0.1*2 - 0.1*0.5 = 0.9 - 0.002 - 0.05 = 0.848; w = 2.848
  CHECK(v[0] == doctest::Approx(0.848).epsilon(1e-15));
  CHECK(w[0] == doctest::Approx(2.848).epsilon(1e-15));
  // second step, g = -1: v = 0.9*0.848 - 0.001*2.848 + 0.1 = 0.7632 - 0.002848 + 0.1 = 0.860352
  sgd_paper_step(p, w, {-1}, v);
  CHECK(v[0] == doctest::Approx(0.860352).epsilon(1e-15));
  CHECK(w[0] == doctest::Approx(3.708352).epsilon(1e-15));
}

TEST_CASE("reference sgd: pytorch rule by hand") {
  const SgdParams p{0.1, 0.9, 0.01};
  Vec w{2}, v{1};
  sgd_pytorch_step(p, w, {0.5}, v);
  // g' = 0.5 + 0.02 = 0.52; v = 0.9 + 0.52 = 1.42; w = 2 - 0.142 = 1.858
  CHECK(v[0] == doctest::Approx(1.42).epsilon(1e-15));
  CHECK(w[0] == doctest::Approx(1.858).epsilon(1e-15));
  // from v = 0 without decay or momentum it is plain SGD: w -= eps g
  Vec w2{1, -1}, v2{0, 0};
  sgd_pytorch_step({0.5, 0.0, 0.0}, w2, {2, 4}, v2);
  CHECK(w2 == Vec{0, -3});
}

TEST_CASE("reference sgd: the rules agree when v is scaled by -eps and eps is fixed") {
  // paper v_p = -eps * v_pt at every step when both start from 0.
  const SgdParams p{0.05, 0.9, 5e-4};
  Vec wp = random_vec(16, 100), wt = wp, vp(16, 0.0), vt(16, 0.0);
  for (int s = 0; s < 5; ++s) {
    const Vec g = random_vec(16, 101 + uint32_t(s));
    sgd_paper_step(p, wp, g, vp);
    sgd_pytorch_step(p, wt, g, vt);
  }
  for (size_t i = 0; i < wp.size(); ++i) {
    CHECK(wp[i] == doctest::Approx(wt[i]).epsilon(1e-12));
    CHECK(vp[i] == doctest::Approx(-p.lr * vt[i]).epsilon(1e-12));
  }
}
