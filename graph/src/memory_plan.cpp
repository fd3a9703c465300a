#include "vknn/graph/memory_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace vknn {
namespace {

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

bool lifetimes_overlap(const PlanRequest& a, const PlanRequest& b) {
  return a.first_use <= b.last_use && b.first_use <= a.last_use;
}

}  // namespace

std::string MemoryPlan::summary() const {
  const double mib = 1.0 / (1 << 20);
  return fmt::format("peak {:.1f} MiB for {:.1f} MiB of tensors ({:.0f}%; live lower bound {:.1f} MiB)",
                     double(peak_bytes) * mib, double(naive_bytes) * mib,
                     naive_bytes ? 100.0 * double(peak_bytes) / double(naive_bytes) : 0.0,
                     double(live_lower_bound) * mib);
}

MemoryPlan plan_memory(const std::vector<PlanRequest>& req, uint64_t alignment) {
  MemoryPlan plan;
  const size_t n = req.size();
  plan.offsets.assign(n, 0);
  std::vector<uint64_t> size(n);
  for (size_t i = 0; i < n; ++i) {
    size[i] = align_up(std::max<uint64_t>(req[i].bytes, 1), alignment);
    plan.naive_bytes += size[i];
  }
  // Largest first; ties by earlier first use, then index, so the plan is deterministic.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (size[a] != size[b]) return size[a] > size[b];
    return req[a].first_use < req[b].first_use;
  });
  std::vector<size_t> placed;
  for (size_t i : order) {
    // Already placed tensors live at the same time as i, by offset.
    std::vector<size_t> live;
    for (size_t j : placed)
      if (lifetimes_overlap(req[i], req[j])) live.push_back(j);
    std::sort(live.begin(), live.end(), [&](size_t a, size_t b) { return plan.offsets[a] < plan.offsets[b]; });
    uint64_t best = UINT64_MAX, best_gap = UINT64_MAX, cursor = 0;
    for (size_t j : live) {
      const uint64_t start = plan.offsets[j];
      if (start > cursor && start - cursor >= size[i] && start - cursor < best_gap) {
        best = cursor;
        best_gap = start - cursor;
      }
      cursor = std::max(cursor, start + size[j]);
    }
    plan.offsets[i] = best != UINT64_MAX ? best : cursor;
    plan.peak_bytes = std::max(plan.peak_bytes, plan.offsets[i] + size[i]);
    placed.push_back(i);
  }
  // The bytes live at each step bound every possible plan from below.
  std::map<uint32_t, int64_t> delta;
  for (size_t i = 0; i < n; ++i) {
    delta[req[i].first_use] += int64_t(size[i]);
    delta[req[i].last_use + 1] -= int64_t(size[i]);
  }
  int64_t live = 0;
  for (auto& [step, d] : delta) {
    live += d;
    plan.live_lower_bound = std::max(plan.live_lower_bound, uint64_t(live));
  }
  return plan;
}

bool plan_is_valid(const std::vector<PlanRequest>& req, const MemoryPlan& plan, std::string* why) {
  for (size_t a = 0; a < req.size(); ++a)
    for (size_t b = a + 1; b < req.size(); ++b) {
      if (!lifetimes_overlap(req[a], req[b])) continue;
      const uint64_t a0 = plan.offsets[a], a1 = a0 + req[a].bytes, b0 = plan.offsets[b], b1 = b0 + req[b].bytes;
      if (req[a].bytes && req[b].bytes && a0 < b1 && b0 < a1) {
        if (why)
          *why = fmt::format("tensors {} [{}, {}) and {} [{}, {}) are live together (steps {}-{} and {}-{}) and overlap",
                             a, a0, a1, b, b0, b1, req[a].first_use, req[a].last_use, req[b].first_use, req[b].last_use);
        return false;
      }
    }
  return true;
}

}  // namespace vknn
