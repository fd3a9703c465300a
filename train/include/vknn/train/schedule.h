// The learning rate of each epoch, as torch.optim.lr_scheduler computes it when stepped once
// per epoch:
//   warmup (epochs e < W = --warmup-epochs): LinearLR(start_factor=0.01, total_iters=W),
//     lr * (0.01 + 0.99 * e / W) (torchvision's reference recipe starts at 0.01 of the rate);
//   then, counting epochs from the end of warmup (SequentialLR(milestones=[W])):
//   step:    StepLR(step_size=--step-epochs, gamma=0.1), lr * 0.1^floor((e - W) / step_epochs)
//   cosine:  CosineAnnealingLR(T_max=epochs - W, eta_min=0), lr * (1 + cos(pi (e - W) / (epochs - W))) / 2
//   plateau: ReduceLROnPlateau(factor=0.1, patience): lr * plateau_scale, the scale lowered
//            by the Trainer after --patience epochs without a better validation loss.
#pragma once

#include "vknn/train/run.h"

namespace vknn::train {

inline constexpr double kWarmupStartFactor = 0.01;

double scheduled_lr(const RunConfig& c, int epoch, double plateau_scale = 1.0);

}  // namespace vknn::train
