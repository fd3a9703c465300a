// Shared by the JPEG and PNG targets: decode, then the evaluation or training preprocessing
// (torchvision's resize of the shorter side, crops, 10-crop) that every image folder goes
// through. The input is the image file itself; the settings are drawn from its size and a
// middle byte so that seeds stay plain image files.
#pragma once

#include "vknn/data/image.h"
#include "vknn/data/transforms.h"

#include <algorithm>
#include <cstdint>
#include <vector>

inline int fuzz_image(const uint8_t* data, size_t size, bool jpeg) {
  using namespace vknn::data;
  const uint32_t c = uint32_t(size) * 2654435761u ^ (size ? uint32_t(data[size / 2]) * 40503u : 0u);
  PreprocessConfig cfg;
  cfg.resize_shorter = 8 + int(c % 57);
  cfg.crop = std::max(1, cfg.resize_shorter - int((c >> 8) % 8));
  cfg.train = (c >> 12) & 1;
  cfg.ten_crop = !cfg.train && ((c >> 13) & 1);
  const DecodeOptions decode{((c >> 14) & 1) ? cfg.resize_shorter : 0};
  auto img = jpeg ? decode_jpeg({data, size}, "fuzz", decode) : decode_png({data, size}, "fuzz");
  if (!img.ok()) return 0;
  std::vector<float> out(size_t(cfg.views()) * 3 * size_t(cfg.crop) * size_t(cfg.crop));
  Rng rng(1, 2, 3);
  preprocess(*img, cfg, rng, out);
  // The float path (models without a torchvision resize) on images small enough to be quick.
  if (int64_t(img->width) * img->height <= (1 << 16)) preprocess(to_tensor(*img), cfg, rng, out);
  return 0;
}
