// The records of `vknn train` (a row per epoch, a row per step) and their hand-written SVG plot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vknn::train {

struct EpochRow {
  int epoch = 0;                // 1-based
  double epoch_fraction = 0;    // epoch, or less when --max-steps cut it short
  uint64_t step = 0;            // optimizer steps after this epoch
  double train_loss = 0, train_top1 = 0, val_loss = 0, val_top1 = 0, val_top5 = 0;
  double lr = 0, seconds = 0, images_per_s = 0;
};

// One optimizer step (a row of steps.csv).
struct StepRow {
  uint64_t step = 0;   // 1-based, over the whole run
  int epoch = 0;       // 1-based
  int64_t batch = 0;   // 1-based, within the epoch
  double loss = 0;     // the batch's mean loss
  double top1 = 0;     // the batch's top-1 accuracy in [0, 1]
  double lr = 0, images_per_s = 0;
};

struct CurvesInput {
  std::string title;
  std::vector<EpochRow> epochs;
  std::vector<StepRow> steps;
  std::vector<uint64_t> resumed_at;  // steps at which the run was resumed: marked in every panel
  int64_t steps_per_epoch = 0;       // places the resume marks on the epoch axis
};

// A standalone SVG document of three panels: the loss per step (and per epoch, train and
// validation) and the learning rate against the step, the error (%) against the epoch.
std::string curves_svg(const CurvesInput& in);

}  // namespace vknn::train
