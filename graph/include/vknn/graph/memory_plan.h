// The static memory plan: every transient tensor gets an offset in one arena, and two
// tensors share bytes only if their lifetimes (first to last use in the schedule) do not
// overlap. Placement is greedy by size (largest first, each at the best-fitting gap among
// the already placed tensors that are live at the same time), as in TFLite's arena planner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vknn {

struct PlanRequest {
  uint64_t bytes = 0;
  uint32_t first_use = 0;  // index of the first node in the schedule that touches it
  uint32_t last_use = 0;   // index of the last node (inclusive)
};

struct MemoryPlan {
  std::vector<uint64_t> offsets;  // per request, aligned
  uint64_t peak_bytes = 0;        // arena size needed
  uint64_t naive_bytes = 0;       // sum of all (aligned) sizes: what one buffer per tensor would take
  uint64_t live_lower_bound = 0;  // max over steps of the bytes live at that step: no plan can do better

  std::string summary() const;    // "peak 12.3 MiB for 45.6 MiB of tensors (27%)"
};

MemoryPlan plan_memory(const std::vector<PlanRequest>& requests, uint64_t alignment = 256);

// True if no two requests that are live at the same step overlap in the plan.
bool plan_is_valid(const std::vector<PlanRequest>& requests, const MemoryPlan& plan, std::string* why = nullptr);

}  // namespace vknn
