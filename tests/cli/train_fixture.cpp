// Writes the inputs of the `vknn train/eval/infer` CLI tests into DIR: a small synthetic
// Fashion-MNIST-shaped IDX dataset (gzipped, 10 learnable classes: a bright 6x6 block whose
// position encodes the class, plus noise) and a 28x28 PNG of class 3; and into COLOR_DIR
// 3-channel 16x16 image folders (train/ 512 and test/ 128 images, 10 classes) for the
// 3-channel models at a small input size.
//   usage: vknn_train_fixture DIR COLOR_DIR
#include "vknn/data/datasets.h"
#include "vknn/data/image.h"

#include <cstdio>
#include <filesystem>
#include <random>

namespace {

void put_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

uint8_t pixel(int label, int y, int x, std::mt19937& rng) {
  const int by = 2 + (label / 5) * 14, bx = 1 + (label % 5) * 5;
  const bool on = y >= by && y < by + 6 && x >= bx && x < bx + 6;
  const int noise = int(rng() % 40);
  return uint8_t(on ? 215 + noise : noise);
}

bool write_split(const std::filesystem::path& dir, const char* prefix, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> images, labels;
  put_be32(images, 0x803), put_be32(images, uint32_t(n)), put_be32(images, 28), put_be32(images, 28);
  put_be32(labels, 0x801), put_be32(labels, uint32_t(n));
  for (int i = 0; i < n; ++i) {
    const int label = int(rng() % 10);
    labels.push_back(uint8_t(label));
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) images.push_back(pixel(label, y, x, rng));
  }
  const auto a = vknn::data::gzip(images), b = vknn::data::gzip(labels);
  return vknn::data::write_bytes(dir / (std::string(prefix) + "-images-idx3-ubyte.gz"), a).ok() &&
         vknn::data::write_bytes(dir / (std::string(prefix) + "-labels-idx1-ubyte.gz"), b).ok();
}

// A 3-channel image folder of 16x16 PNGs, DIR/<split>/class<k>/<i>.png: a 4x4 block whose
// position and colour encode the class, plus noise.
bool write_color_folder(const std::filesystem::path& dir, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < n; ++i) {
    const int label = int(rng() % 10);
    vknn::data::Image img;
    img.width = img.height = 16;
    img.rgb.resize(16 * 16 * 3);
    const int by = 2 + (label / 5) * 8, bx = 1 + (label % 5) * 3;
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x)
        for (int c = 0; c < 3; ++c) {
          const bool on = y >= by && y < by + 4 && x >= bx && x < bx + 4 && (label + c) % 3 != 0;
          const int noise = int(rng() % 48);
          img.rgb[size_t((y * 16 + x) * 3 + c)] = uint8_t(on ? 200 + noise : 40 + noise);
        }
    const std::filesystem::path cls = dir / ("class" + std::to_string(label));
    std::filesystem::create_directories(cls);
    auto png = vknn::data::encode_png(img, true);
    if (!png.ok() || !vknn::data::write_bytes(cls / (std::to_string(i) + ".png"), *png).ok()) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: vknn_train_fixture DIR COLOR_DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  if (!write_split(dir, "train", 2048, 1) || !write_split(dir, "t10k", 500, 2)) {
    std::fprintf(stderr, "vknn_train_fixture: cannot write the IDX files into %s\n", argv[1]);
    return 1;
  }
  vknn::data::Image img;
  img.width = img.height = 28;
  img.rgb.resize(28 * 28 * 3);
  std::mt19937 rng(3);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) {
      const uint8_t v = pixel(3, y, x, rng);
      for (int c = 0; c < 3; ++c) img.rgb[size_t((y * 28 + x) * 3 + c)] = v;
    }
  auto png = vknn::data::encode_png(img, true);
  if (!png.ok() || !vknn::data::write_bytes(dir / "class3.png", *png).ok()) {
    std::fprintf(stderr, "vknn_train_fixture: cannot write %s/class3.png\n", argv[1]);
    return 1;
  }
  const std::filesystem::path color = argv[2];
  if (!write_color_folder(color / "train", 512, 4) || !write_color_folder(color / "test", 128, 5)) {
    std::fprintf(stderr, "vknn_train_fixture: cannot write the image folders into %s\n", argv[2]);
    return 1;
  }
  return 0;
}
