#include "vknn/graph/memory_plan.h"

#include <doctest/doctest.h>

#include <random>

using namespace vknn;

TEST_CASE("memory plan: tensors live at the same time never overlap (random graphs)") {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    const int steps = 1 + int(rng() % 60);
    const int count = 1 + int(rng() % 80);
    std::vector<PlanRequest> req;
    for (int i = 0; i < count; ++i) {
      PlanRequest r;
      r.first_use = uint32_t(rng() % steps);
      r.last_use = r.first_use + uint32_t(rng() % 8);
      // Sizes from 1 byte to 4 MiB, log-uniform-ish, some repeated.
      r.bytes = (rng() % 4 == 0) ? 4096 : (uint64_t(1) << (rng() % 22)) + rng() % 1000;
      req.push_back(r);
    }
    const MemoryPlan plan = plan_memory(req, 256);
    std::string why;
    INFO("trial " << trial);
    REQUIRE_MESSAGE(plan_is_valid(req, plan, &why), why);
    CHECK(plan.peak_bytes <= plan.naive_bytes);
    CHECK(plan.peak_bytes >= plan.live_lower_bound);
    for (size_t i = 0; i < req.size(); ++i) CHECK(plan.offsets[i] % 256 == 0);
  }
}

TEST_CASE("memory plan: a chain reuses memory and reaches the live lower bound") {
  // x0 -> x1 -> ... -> x9: each tensor is live for two steps, so two buffers suffice.
  std::vector<PlanRequest> req;
  for (uint32_t i = 0; i < 10; ++i) req.push_back({1 << 20, i, i + 1});
  const MemoryPlan plan = plan_memory(req);
  CHECK(plan_is_valid(req, plan));
  CHECK(plan.peak_bytes == 2u << 20);
  CHECK(plan.naive_bytes == 10u << 20);
  CHECK(plan.live_lower_bound == 2u << 20);
  CHECK(plan.summary().find("peak 2.0 MiB for 10.0 MiB") != std::string::npos);
}

TEST_CASE("memory plan: plan_is_valid catches an overlapping plan") {
  std::vector<PlanRequest> req = {{1000, 0, 5}, {1000, 3, 7}};
  MemoryPlan bad;
  bad.offsets = {0, 512};
  std::string why;
  CHECK(!plan_is_valid(req, bad, &why));
  CHECK(why.find("overlap") != std::string::npos);
}
