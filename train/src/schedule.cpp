#include "vknn/train/schedule.h"

#include <cmath>
#include <numbers>

namespace vknn::train {

double scheduled_lr(const RunConfig& c, int epoch, double plateau_scale) {
  const int w = c.warmup_epochs;
  if (epoch < w) return c.lr * (kWarmupStartFactor + (1 - kWarmupStartFactor) * double(epoch) / double(w)) * plateau_scale;
  const int e = epoch - w;
  if (c.schedule == "step") return c.lr * std::pow(0.1, e / c.step_epochs);
  if (c.schedule == "cosine") {
    const int t_max = c.epochs - w;
    if (t_max <= 0) return c.lr;
    return c.lr * (1 + std::cos(std::numbers::pi * double(e) / double(t_max))) / 2;
  }
  return c.lr * plateau_scale;  // plateau
}

}  // namespace vknn::train
