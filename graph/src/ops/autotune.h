// The autotuner's timing, shared by the ops that have variants (see vknn/engine/tuning.h): each
// candidate is recorded into a command list of its own, run once (which also builds its
// pipelines), then timed over a few runs; the fastest by its best run wins. The candidates run
// on scratch buffers of the op's shapes, never on a caller's tensors (which may be in use).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/engine/memory.h"
#include "vknn/engine/tuning.h"

#include <functional>
#include <string>
#include <vector>

namespace vknn {

struct TuneCandidate {
  std::string name;                              // what the table stores
  std::function<Status(CommandList&)> record;    // records one run of the op
};

// The index of the fastest candidate (at least one). Errors of recording or running are returned.
Result<size_t> time_candidates(Context& ctx, const std::vector<TuneCandidate>& candidates);

// A zero-filled device buffer of `bytes` for the candidates to run on (zeros: no denormals
// or NaNs that would time differently from real data on a CPU device).
Result<Buffer> tune_scratch(Context& ctx, uint64_t bytes);

// The choice for `key`: the stored one when it names a candidate, else the candidates are timed
// and the fastest stored. A failed save of the table is a warning, not an error.
Result<size_t> tuned_choice(Context& ctx, TuneTable& table, const std::string& key,
                            const std::vector<TuneCandidate>& candidates);

}  // namespace vknn
