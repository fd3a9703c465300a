// Timing helpers shared by the benchmarks: medians of repeated wall-clock runs.
#pragma once

#include "vknn/engine/commands.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace vknn::tools {

struct Stats {
  double median_ms = 0, p90_ms = 0, min_ms = 0;
};

inline Stats summarize(std::vector<double> ms) {
  Stats s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.min_ms = ms.front();
  s.median_ms = ms[ms.size() / 2];
  s.p90_ms = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
  return s;
}

// Times whole submissions of a recorded command list (submit to completion).
inline Result<Stats> time_list(CommandList& cl, int warmup, int iters) {
  for (int i = 0; i < warmup; ++i) VKNN_TRY(cl.run());
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    VKNN_TRY(cl.run());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return summarize(std::move(ms));
}

}  // namespace vknn::tools
