// Writes what vknn's evaluation pipeline makes of each image (decode, resize the shorter side
// to RESIZE, centre crop CROP, no normalisation) as float32 CHW values in [0, 1], one image
// after the other, to OUT. compare_preprocess.py holds them against torchvision's
// Resize(RESIZE) + CenterCrop(CROP) + ToTensor() on PIL images.
//   usage: vknn_preprocess_dump RESIZE CROP OUT IMAGE...
#include "vknn/data/image.h"
#include "vknn/data/transforms.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  using namespace vknn::data;
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s RESIZE CROP OUT IMAGE...\n", argv[0]);
    return 2;
  }
  PreprocessConfig cfg;
  cfg.resize_shorter = std::atoi(argv[1]);
  cfg.crop = std::atoi(argv[2]);
  if (cfg.resize_shorter <= 0 || cfg.crop <= 0 || cfg.crop > cfg.resize_shorter) {
    std::fprintf(stderr, "bad RESIZE %s / CROP %s\n", argv[1], argv[2]);
    return 2;
  }
  std::FILE* out = std::fopen(argv[3], "wb");
  if (!out) {
    std::perror(argv[3]);
    return 1;
  }
  std::vector<float> buf(size_t(3) * size_t(cfg.crop) * size_t(cfg.crop));
  for (int i = 4; i < argc; ++i) {
    auto img = load_image(argv[i]);
    if (!img.ok()) {
      std::fprintf(stderr, "%s\n", img.error().message.c_str());
      return 1;
    }
    Rng rng(0, 0, uint64_t(i));
    preprocess(*img, cfg, rng, buf);
    if (std::fwrite(buf.data(), sizeof(float), buf.size(), out) != buf.size()) {
      std::perror(argv[3]);
      return 1;
    }
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
