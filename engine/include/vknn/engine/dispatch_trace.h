// Which shaders were dispatched: while a DispatchTrace is alive, every CommandList recorded on
// the same thread adds the ShaderId of each dispatch() it records (after its own checks, so
// a refused or empty dispatch is not traced). The op case tests use it to hold each case to
// the shaders it claims (graph/cases/include/vknn/cases/case.h). Traces nest: only the
// innermost one records. Not thread-safe across threads by design: it is thread-local.
#pragma once

#include "vknn/shader_ids.h"

#include <vector>

namespace vknn {

class DispatchTrace {
 public:
  DispatchTrace();
  ~DispatchTrace();
  DispatchTrace(const DispatchTrace&) = delete;
  DispatchTrace& operator=(const DispatchTrace&) = delete;

  // In dispatch order, with repeats.
  const std::vector<ShaderId>& shaders() const { return shaders_; }

  // Called by CommandList::dispatch.
  static void note(ShaderId id);

 private:
  std::vector<ShaderId> shaders_;
  DispatchTrace* outer_ = nullptr;
};

}  // namespace vknn
