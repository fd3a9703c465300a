// The per-epoch record of `vknn train` and its hand-written SVG plot.
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

// A standalone SVG document: loss and error (%) against epoch, train and validation.
std::string curves_svg(const std::string& title, const std::vector<EpochRow>& rows);

}  // namespace vknn::train
