#include "autotune.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

namespace vknn {

Result<Buffer> tune_scratch(Context& ctx, uint64_t bytes) {
  VKNN_ASSIGN(Buffer b, Buffer::create(ctx, std::max<uint64_t>(bytes, 4)));
  VKNN_ASSIGN(CommandList cl, CommandList::create(ctx));
  VKNN_TRY(cl.begin());
  cl.fill(b.ref(), 0);
  VKNN_TRY(cl.end());
  VKNN_TRY(cl.run());
  return b;
}

Result<size_t> time_candidates(Context& ctx, const std::vector<TuneCandidate>& candidates) {
  using clock = std::chrono::steady_clock;
  constexpr int kRuns = 3;
  size_t best = 0;
  double best_s = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < candidates.size(); ++i) {
    VKNN_ASSIGN(CommandList cl, CommandList::create(ctx));
    VKNN_TRY(cl.begin());
    VKNN_TRY(candidates[i].record(cl));
    VKNN_TRY(cl.end());
    VKNN_TRY(cl.run());  // builds the pipelines and warms the caches
    double fastest = std::numeric_limits<double>::infinity();
    for (int r = 0; r < kRuns; ++r) {
      const auto t0 = clock::now();
      VKNN_TRY(cl.run());
      fastest = std::min(fastest, std::chrono::duration<double>(clock::now() - t0).count());
    }
    if (fastest < best_s) best_s = fastest, best = i;
  }
  return best;
}

Result<size_t> tuned_choice(Context& ctx, TuneTable& table, const std::string& key,
                            const std::vector<TuneCandidate>& candidates) {
  if (auto stored = table.find(key))
    for (size_t i = 0; i < candidates.size(); ++i)
      if (candidates[i].name == *stored) return i;
  VKNN_ASSIGN(const size_t best, time_candidates(ctx, candidates));
  if (auto s = table.set(key, candidates[best].name); !s.ok())
    std::fprintf(stderr, "vknn: warning: the tuning cache was not saved: %s\n", s.error().message.c_str());
  return best;
}

}  // namespace vknn
