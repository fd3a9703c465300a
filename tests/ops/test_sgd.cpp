// SGD on the device: both rules against the reference over several steps, one step by hand,
// the learning rate from a StepParams buffer, AlexNet fc6's 37.7M weights (more than one
// binding), and refused inputs.
#include "gpu.h"
#include "reference/sgd.h"

#include "vknn/graph/graph.h"
#include "vknn/ops/sgd.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_sgd(SgdRule rule, const Shape& shape, uint32_t seed) {
  CAPTURE(shape.str());
  CAPTURE(int(rule));
  const size_t n = size_t(shape.numel());
  const SgdParams p{rule, 0.05f, 0.9f, 5e-4f, {}};
  const ref::SgdParams rp{double(p.learning_rate), double(p.momentum), double(p.weight_decay)};
  auto w = random_floats(n, seed), v = random_floats(n, seed + 1, -0.1f, 0.1f);
  auto tw = make_tensor(shape, w), tv = make_tensor(shape, v), tg = make_tensor(shape);
  auto wd = to_double(w), vd = to_double(v);
  for (uint32_t step = 0; step < 3; ++step) {
    const auto g = random_floats(n, seed + 10 + step);
    REQUIRE_OK(gpu().upload(tg.buffer.ref(), g.data(), n * 4));
    run_recorded([&](CommandList& cl) { REQUIRE_OK(record_sgd_update(cl, p, tw.view(), tg.view(), tv.view())); });
    if (rule == SgdRule::sgd_paper)
      ref::sgd_paper_step(rp, wd, to_double(g), vd);
    else
      ref::sgd_pytorch_step(rp, wd, to_double(g), vd);
  }
  check_close(tw.read(), wd, {}, "sgd w after 3 steps");
  check_close(tv.read(), vd, {}, "sgd v after 3 steps");
}

}  // namespace

TEST_CASE("sgd: both rules match the reference over three steps") {
  for (auto rule : {SgdRule::sgd_paper, SgdRule::sgd_pytorch}) {
    check_sgd(rule, {1}, 1);
    check_sgd(rule, {3}, 2);
    check_sgd(rule, {65}, 3);
    check_sgd(rule, {1000, 4096}, 4);  // fc8
    check_sgd(rule, {96, 3, 11, 11}, 5);  // conv1
  }
}

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
