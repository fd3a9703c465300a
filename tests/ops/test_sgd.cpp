// SGD on the device: every case of graph/cases/ops/sgd.cpp against the reference (both rules
// over three steps, odd sizes and AlexNet's fc8 and conv1 weights), one step by hand, the
// learning rate from a StepParams buffer, AlexNet fc6's 37.7M weights (more than one
// binding), and refused inputs.
#include "op_cases.h"
#include "reference/sgd.h"

#include "vknn/graph/graph.h"
#include "vknn/ops/sgd.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(sgd, ref::sgd_case_outputs)

TEST_CASE("sgd: one step by hand, and the learning rate from a StepParams buffer") {
  // eps 0.1, mu 0.9, lambda 0.01; w 2, g 0.5, v 1 (tests/reference/test_sgd_reference.cpp).
  auto w = make_tensor({2}, {2, 2}), g = make_tensor({2}, {0.5f, 0.5f}), v = make_tensor({2}, {1, 1});
  auto w2 = make_tensor({2}, {2, 2}), v2 = make_tensor({2}, {1, 1});
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_sgd_update(cl, {SgdRule::sgd_paper, 0.1f, 0.9f, 0.01f, {}}, w.view(), g.view(), v.view()));
    REQUIRE_OK(record_sgd_update(cl, {SgdRule::sgd_pytorch, 0.1f, 0.9f, 0.01f, {}}, w2.view(), g.view(), v2.view()));
  });
  check_close(v.read(), {0.848, 0.848}, {1e-6, 1e-6}, "paper v");
  check_close(w.read(), {2.848, 2.848}, {1e-6, 1e-6}, "paper w");
  check_close(v2.read(), {1.42, 1.42}, {1e-6, 1e-6}, "pytorch v");
  check_close(w2.read(), {1.858, 1.858}, {1e-6, 1e-6}, "pytorch w");

  // A recorded list that reads the rate from StepParams follows a change without re-recording.
  StepParams sp;
  sp.learning_rate = 0.1f;
  auto step = device_buffer(std::vector<float>(8, 0.0f));
  REQUIRE_OK(gpu().upload(step.ref(), &sp, sizeof(sp)));
  auto w3 = make_tensor({1}, {2}), v3 = make_tensor({1}, {0}), g3 = make_tensor({1}, {1});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  REQUIRE_OK(record_sgd_update(*cl, {SgdRule::sgd_pytorch, 123.0f, 0.0f, 0.0f, step.ref()}, w3.view(), g3.view(),
                               v3.view()));
  REQUIRE_OK(cl->end());
  REQUIRE_OK(cl->run());
  check_close(w3.read(), {1.9}, {1e-6, 1e-6}, "w after lr 0.1");
  sp.learning_rate = 0.5f;
  REQUIRE_OK(gpu().upload(step.ref(), &sp, sizeof(sp)));
  REQUIRE_OK(cl->run());
  check_close(w3.read(), {1.4}, {1e-6, 1e-6}, "w after lr 0.5");
}

TEST_CASE("sgd: AlexNet fc6 weights, 37.7M elements (more than one binding)") {
  const int64_t rows = 4096, cols = 9216;
  const size_t n = size_t(rows * cols);
  std::vector<float> w(n), g(n), v(n);
  for (size_t i = 0; i < n; ++i) {
    w[i] = float(int(i % 2001) - 1000) * 1e-3f;
    g[i] = float(int(i % 999) - 499) * 1e-3f;
    v[i] = float(int(i % 37) - 18) * 1e-3f;
  }
  auto tw = make_tensor({rows, cols}, w), tg = make_tensor({rows, cols}, g), tv = make_tensor({rows, cols}, v);
  const SgdParams p{SgdRule::sgd_paper, 0.01f, 0.9f, 5e-4f, {}};
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_sgd_update(cl, p, tw.view(), tg.view(), tv.view())); });
  const auto gw = tw.read(), gv = tv.read();
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const double vn = 0.9 * double(v[i]) - 5e-4 * 0.01 * double(w[i]) - 0.01 * double(g[i]);
    const double wn = double(w[i]) + vn;
    bad += std::abs(gv[i] - vn) > 1e-6 || std::abs(gw[i] - wn) > 1e-6;
  }
  CHECK(bad == 0);
}

TEST_CASE("sgd: refused inputs name the op and the shapes") {
  auto w = make_tensor({2, 3}), g = make_tensor({2, 3}), v = make_tensor({2, 3}), other = make_tensor({3, 2});
  auto empty = make_tensor({0, 3});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const SgdParams p;
  check_refused(record_sgd_update(*cl, p, w.view(), other.view(), v.view()), "sgd_update", {"g", "(3,2)", "(2,3)"});
  check_refused(record_sgd_update(*cl, p, w.view(), g.view(), other.view()), "sgd_update", {"v", "(3,2)", "(2,3)"});
  check_refused(record_sgd_update(*cl, p, empty.view(), empty.view(), empty.view()), "sgd_update", {"(0,3)"});
  check_refused(record_sgd_update(*cl, p, w.view(), w.view(), v.view()), "sgd_update", {"overlap"});
  check_refused(record_sgd_update(*cl, {SgdRule::sgd_paper, NAN, 0.9f, 0.0f, {}}, w.view(), g.view(), v.view()),
                "sgd_update", {"finite", "(2,3)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
