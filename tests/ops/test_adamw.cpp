// AdamW on the device: every case of graph/cases/ops/adamw.cpp against the reference
// (tests/reference/adamw.h, itself held against torch.optim.AdamW) over four steps, the
// learning rate and bias corrections read from a StepParams buffer as the graph's update
// nodes do, and refused inputs.
#include "op_cases.h"
#include "reference/adamw.h"

#include "vknn/graph/graph.h"
#include "vknn/ops/adamw.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(adamw, ref::adamw_case_outputs)

TEST_CASE("adamw: learning rate and bias corrections from a StepParams buffer follow each step") {
  // One recorded list run 3 times, the host filling StepParams as the executor does
  // (AdamWNode::prepare_step): the same numbers as recording each step with its own t.
  const AdamWParams p{0.02f, 0.9, 0.999, 1e-8f, 0.01f, 1, {}};
  const ref::AdamWParams rp{0.02, 0.9, 0.999, 1e-8, 0.01};
  const size_t n = 37;
  auto w = random_floats(n, 21), g = random_floats(n, 22);
  auto tw = make_tensor({int64_t(n)}, w), tg = make_tensor({int64_t(n)}, g), tm = make_tensor({int64_t(n)}),
       tv = make_tensor({int64_t(n)});
  auto step = device_buffer(std::vector<float>(8, 0.0f));
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  AdamWParams q = p;
  q.learning_rate = 123.0f;  // ignored: the buffer's is used
  q.step_params = step.ref();
  REQUIRE_OK(record_adamw_update(*cl, q, tw.view(), tg.view(), tm.view(), tv.view()));
  REQUIRE_OK(cl->end());
  auto wd = to_double(w);
  std::vector<double> md(n, 0.0), vd(n, 0.0);
  for (uint32_t t = 1; t <= 3; ++t) {
    StepParams sp;
    sp.step = t - 1;
    sp.learning_rate = 0.02f;
    adamw_bias_corrections(p, t, sp.bias_correction1, sp.bias_correction2_sqrt);
    REQUIRE_OK(gpu().upload(step.ref(), &sp, sizeof(sp)));
    REQUIRE_OK(cl->run());
    ref::adamw_step(rp, int(t), wd, to_double(g), md, vd);
  }
  check_close(tw.read(), wd, {1e-6, 1e-5}, "adamw w after 3 buffered steps");
}

TEST_CASE("adamw: refused inputs name the op and the shapes") {
  auto w = make_tensor({2, 3}), g = make_tensor({2, 3}), m = make_tensor({2, 3}), v = make_tensor({2, 3});
  auto other = make_tensor({3, 2}), empty = make_tensor({0, 3});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const AdamWParams p;
  check_refused(record_adamw_update(*cl, p, w.view(), other.view(), m.view(), v.view()), "adamw_update",
                {"g", "(3,2)", "(2,3)"});
  check_refused(record_adamw_update(*cl, p, w.view(), g.view(), m.view(), other.view()), "adamw_update",
                {"v", "(3,2)", "(2,3)"});
  check_refused(record_adamw_update(*cl, p, empty.view(), empty.view(), empty.view(), empty.view()), "adamw_update",
                {"(0,3)"});
  check_refused(record_adamw_update(*cl, p, w.view(), g.view(), m.view(), m.view()), "adamw_update", {"overlap"});
  check_refused(record_adamw_update(*cl, {1e-3f, 1.0, 0.999, 1e-8f, 0.01f, 1, {}}, w.view(), g.view(), m.view(),
                                    v.view()),
                "adamw_update", {"betas", "(2,3)"});
  check_refused(record_adamw_update(*cl, {1e-3f, 0.9, 0.999, 1e-8f, 0.01f, 0, {}}, w.view(), g.view(), m.view(),
                                    v.view()),
                "adamw_update", {"step 0", "(2,3)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
