// Loss scaling (StepParams::loss_scale, vknn/ops/grad_check.h, vknn/graph/loss_scaler.h): the
// loss's gradient is scaled up and the optimizers divide it out, so with fp32 storage a power
// of two changes the gradients by exactly that factor and the update not at all; a step whose
// gradients hold an inf is skipped whole (weights, momentum, step count) and the host halves
// the scale.
#include "gpu.h"
#include "graph/nets.h"

#include "vknn/graph/loss_scaler.h"
#include "vknn/ops/adamw.h"
#include "vknn/ops/grad_check.h"

#include <limits>

using namespace vknn;
using namespace vknn::test;

namespace {

enum class Opt { sgd, adamw };

Net checked_net(Opt opt) {
  Net m = residual_cnn(2);
  REQUIRE_OK(build_backward(m.g));
  REQUIRE_OK(add_overflow_check(m.g));
  if (opt == Opt::sgd) {
    SgdParams p;
    p.rule = SgdRule::sgd_pytorch;
    REQUIRE_OK(add_sgd(m.g, p));
  } else {
    REQUIRE_OK(add_adamw(m.g, AdamWParams{}));
  }
  return m;
}

std::vector<float> images(const Net& m, float poison = 0.0f) {
  auto x = random_floats(size_t(m.g.shape(m.x).numel()), 5);
  if (poison != 0.0f) x[7] = poison;
  return x;
}
const std::vector<int32_t> kLabels{1, 3};

std::vector<float> read_ok(const Executor& ex, TensorId t) {
  auto v = ex.read(t);
  REQUIRE_OK(v);
  return *v;
}

// Every parameter and state tensor (weights, momentum or Adam moments, BN statistics).
std::vector<std::vector<float>> persistent(const Executor& ex) {
  std::vector<std::vector<float>> all;
  const Graph& g = ex.graph();
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    const Role r = g.tensors()[i].role;
    if (r == Role::parameter || r == Role::state) all.push_back(read_ok(ex, TensorId{int32_t(i)}));
  }
  return all;
}

}  // namespace

TEST_CASE("loss scale: a power-of-two scale multiplies the gradients and leaves the updates as they were") {
  for (Opt opt : {Opt::sgd, Opt::adamw}) {
    CAPTURE(int(opt));
    Net m = checked_net(opt);
    auto a = Executor::create(gpu(), m.g), b = Executor::create(gpu(), m.g);
    REQUIRE_OK(a);
    REQUIRE_OK(b);
    (*b)->set_loss_scale(1024.0f);
    for (Executor* ex : {a->get(), b->get()}) {
      REQUIRE_OK(ex->set_input(m.x, images(m)));
      REQUIRE_OK(ex->set_input(m.labels, std::span<const int32_t>(kLabels)));
      for (int s = 0; s < 2; ++s) REQUIRE_OK(ex->run());
      CHECK_FALSE(ex->last_step_skipped());
      CHECK(ex->step() == 2);
    }
    // The gradients (persistent for parameters) carry the scale: 1024 times the unscaled ones.
    for (TensorId w : m.g.parameters()) {
      const TensorId gr = m.g.desc(w).grad;
      if (!gr.valid()) continue;
      CAPTURE(m.g.desc(gr).name);
      const auto ga = read_ok(**a, gr), gb = read_ok(**b, gr);
      std::vector<double> scaled(ga.size());
      for (size_t i = 0; i < ga.size(); ++i) scaled[i] = 1024.0 * double(ga[i]);
      check_close(gb, scaled, {1e-7, 1e-6}, "scaled gradient");
    }
    // The weights and the optimizer state: the same within fp32 rounding.
    const auto pa = persistent(**a), pb = persistent(**b);
    REQUIRE(pa.size() == pb.size());
    for (size_t t = 0; t < pa.size(); ++t)
      check_close(pb[t], std::vector<double>(pa[t].begin(), pa[t].end()), {1e-7, 1e-6}, "weights");
  }
}

TEST_CASE("loss scale: an inf gradient skips the whole update and the scaler halves the scale") {
  for (Opt opt : {Opt::sgd, Opt::adamw}) {
    CAPTURE(int(opt));
    Net m = checked_net(opt);
    auto ex = Executor::create(gpu(), m.g);
    REQUIRE_OK(ex);
    LossScaler scaler;
    (*ex)->set_loss_scale(scaler.scale());
    REQUIRE_OK((*ex)->set_input(m.labels, std::span<const int32_t>(kLabels)));
    // A good step first, so that the momentum is not zero.
    REQUIRE_OK((*ex)->set_input(m.x, images(m)));
    REQUIRE_OK((*ex)->run());
    CHECK_FALSE((*ex)->last_step_skipped());
    (*ex)->set_loss_scale(scaler.update((*ex)->last_step_skipped()));
    CHECK(scaler.scale() == 65536.0f);
    CHECK((*ex)->step() == 1);
    const auto before = persistent(**ex);
    // An inf in the input: the loss and every gradient become inf or NaN.
    REQUIRE_OK((*ex)->set_input(m.x, images(m, std::numeric_limits<float>::infinity())));
    REQUIRE_OK((*ex)->run());
    CHECK((*ex)->last_step_skipped());
    CHECK((*ex)->step() == 1);
    // The BN running statistics are the forward pass's (as in PyTorch, whose GradScaler skips
    // only optimizer.step()): every other persistent tensor is bit-identical.
    const auto after = persistent(**ex);
    REQUIRE(after.size() == before.size());
    size_t same = 0, k = 0;
    const Graph& g = (*ex)->graph();
    for (size_t i = 0; i < g.tensors().size(); ++i) {
      const TensorDesc& d = g.tensors()[i];
      if (d.role != Role::parameter && d.role != Role::state) continue;
      const bool running_stat = d.name.find("running_") != std::string::npos;
      if (!running_stat) {
        CAPTURE(d.name);
        CHECK(after[k] == before[k]);
        ++same;
      }
      ++k;
    }
    CHECK(same > 6);
    (*ex)->set_loss_scale(scaler.update((*ex)->last_step_skipped()));
    CHECK(scaler.scale() == 32768.0f);
    CHECK((*ex)->loss_scale() == 32768.0f);
    // A finite batch again: the step is taken.
    REQUIRE_OK((*ex)->set_input(m.x, images(m)));
    REQUIRE_OK((*ex)->run());
    CHECK_FALSE((*ex)->last_step_skipped());
    CHECK((*ex)->step() == 2);
  }
}

TEST_CASE("loss scale: the scaler halves on overflow and doubles after its interval of good steps") {
  LossScaler s({8.0f, 2.0f, 0.5f, 3});
  CHECK(s.update(false) == 8.0f);
  CHECK(s.update(false) == 8.0f);
  CHECK(s.update(false) == 16.0f);  // 3 good steps
  CHECK(s.update(true) == 8.0f);
  CHECK(s.good_steps() == 0);
  CHECK(s.update(false) == 8.0f);
  CHECK(s.update(true) == 4.0f);  // the count starts again after an overflow
  for (int i = 0; i < 3; ++i) s.update(false);
  CHECK(s.scale() == 8.0f);
  LossScaler big({std::numeric_limits<float>::max(), 2.0f, 0.5f, 1});
  CHECK(big.update(false) == std::numeric_limits<float>::max());  // never an infinity
  LossScaler tiny({std::numeric_limits<float>::min(), 2.0f, 0.5f, 1});
  CHECK(tiny.update(true) == std::numeric_limits<float>::min());
}

TEST_CASE("loss scale: the overflow check is refused after the optimizer and without gradients") {
  Net m = residual_cnn(2);
  auto e = add_overflow_check(m.g);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("no parameter has a gradient") != std::string::npos);
  REQUIRE_OK(build_backward(m.g));
  REQUIRE_OK(add_sgd(m.g, SgdParams{}));
  e = add_overflow_check(m.g);
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("before the optimizer") != std::string::npos);
}
