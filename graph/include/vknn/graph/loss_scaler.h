// Dynamic loss scaling for mixed-precision training, on the host, with torch.amp.GradScaler's
// rule: start at `init`; a step whose gradients overflowed (inf or NaN, Executor::
// last_step_skipped) was skipped by the optimizers, and the scale is multiplied by
// `backoff`; after `growth_interval` good steps in a row it is multiplied by `growth`.
// The scale never drops below the smallest positive normal float, and never grows to an
// infinity (it stays where the next growth would overflow).
#pragma once

#include <cstdint>
#include <limits>

namespace vknn {

struct LossScalerParams {
  float init = 65536.0f;
  float growth = 2.0f, backoff = 0.5f;
  int64_t growth_interval = 2000;
};

class LossScaler {
 public:
  explicit LossScaler(LossScalerParams p = {}) : p_(p), scale_(p.init) {}
  float scale() const { return scale_; }
  // Good steps since the last change of the scale.
  int64_t good_steps() const { return good_; }
  // Restores a saved state (a resumed run).
  void restore(float scale, int64_t good_steps) { scale_ = scale, good_ = good_steps; }
  // After each step: whether it overflowed. Returns the scale for the next step.
  float update(bool overflowed) {
    if (overflowed) {
      good_ = 0;
      const float lowered = scale_ * p_.backoff;
      scale_ = lowered >= std::numeric_limits<float>::min() ? lowered : std::numeric_limits<float>::min();
    } else if (++good_ >= p_.growth_interval) {
      good_ = 0;
      const float raised = scale_ * p_.growth;
      if (raised <= std::numeric_limits<float>::max()) scale_ = raised;
    }
    return scale_;
  }

 private:
  LossScalerParams p_;
  float scale_;
  int64_t good_ = 0;
};

}  // namespace vknn
