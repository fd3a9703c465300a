// The learning-rate schedules (vknn/train/schedule.h): their shape by hand, and, in the
// "pytorch:" case that tests/train/pytorch/torch_schedules.py runs, every epoch's rate
// against torch.optim.lr_scheduler's.
#include "vknn/train/schedule.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace vknn::train;

TEST_CASE("schedule: warmup, step, cosine and plateau by hand") {
  RunConfig c;
  c.lr = 0.1, c.epochs = 10, c.step_epochs = 3;
  CHECK(scheduled_lr(c, 0) == 0.1);
  CHECK(scheduled_lr(c, 3) == doctest::Approx(0.01).epsilon(1e-15));
  CHECK(scheduled_lr(c, 9) == doctest::Approx(1e-4).epsilon(1e-15));
  c.warmup_epochs = 2;
  CHECK(scheduled_lr(c, 0) == doctest::Approx(0.001).epsilon(1e-15));  // 0.01 x lr
  CHECK(scheduled_lr(c, 1) == doctest::Approx(0.0505).epsilon(1e-15));
  CHECK(scheduled_lr(c, 2) == 0.1);  // the step schedule starts after the warmup
  CHECK(scheduled_lr(c, 5) == doctest::Approx(0.01).epsilon(1e-15));
  c.schedule = "cosine";
  CHECK(scheduled_lr(c, 2) == 0.1);
  CHECK(scheduled_lr(c, 6) == doctest::Approx(0.05).epsilon(1e-15));  // halfway through T_max = 8
  CHECK(scheduled_lr(c, 9) == doctest::Approx(0.1 * (1 + std::cos(M_PI * 7 / 8)) / 2).epsilon(1e-15));
  c.schedule = "plateau", c.warmup_epochs = 0;
  CHECK(scheduled_lr(c, 7, 0.01) == doctest::Approx(0.001).epsilon(1e-15));
}

TEST_CASE("pytorch: every epoch's rate equals torch.optim.lr_scheduler's" * doctest::skip()) {
  const char* path = std::getenv("VKNN_TORCH_SCHEDULES");
  REQUIRE_MESSAGE(path, "run by tests/train/pytorch/torch_schedules.py");
  std::ifstream f(path);
  std::string line;
  int cases = 0;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    RunConfig c;
    in >> c.schedule >> c.epochs >> c.warmup_epochs >> c.step_epochs >> c.lr;
    CAPTURE(line.substr(0, 40));
    double worst = 0;
    for (int e = 0; e < c.epochs; ++e) {
      double want = 0;
      in >> want;
      REQUIRE(bool(in));
      worst = std::max(worst, std::abs(scheduled_lr(c, e) - want) / want);
    }
    MESSAGE(c.schedule << " epochs " << c.epochs << " warmup " << c.warmup_epochs << ": worst relative difference "
                       << worst);
    CHECK(worst <= 1e-12);
    ++cases;
  }
  CHECK(cases >= 7);
}
