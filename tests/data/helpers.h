// Shared helpers of the data tests: temporary directories and synthetic files.
#pragma once

#include "vknn/data/datasets.h"
#include "vknn/data/image.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace vknn::data::test {

// A fresh directory under the system temp dir, removed on destruction.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) {
    path = std::filesystem::temp_directory_path() / fmt::format("vknn-data-{}-{}", name, ::getpid());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path operator/(const std::string& s) const { return path / s; }
};

inline void put_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

inline std::vector<uint8_t> idx_images(uint32_t n, uint32_t rows, uint32_t cols) {
  std::vector<uint8_t> b;
  put_be32(b, 0x803);
  put_be32(b, n);
  put_be32(b, rows);
  put_be32(b, cols);
  for (uint32_t i = 0; i < n * rows * cols; ++i) b.push_back(uint8_t((i * 7 + 3) % 256));
  return b;
}

inline std::vector<uint8_t> idx_labels(uint32_t n) {
  std::vector<uint8_t> b;
  put_be32(b, 0x801);
  put_be32(b, n);
  for (uint32_t i = 0; i < n; ++i) b.push_back(uint8_t(i % 10));
  return b;
}

inline std::vector<uint8_t> cifar_records(int n) {
  std::vector<uint8_t> b;
  for (int r = 0; r < n; ++r) {
    b.push_back(uint8_t(r % 10));
    for (int i = 0; i < 3072; ++i) b.push_back(uint8_t((r * 31 + i) % 256));
  }
  return b;
}

// A smooth RGB test pattern (JPEG-friendly).
inline Image pattern(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(size_t(w) * size_t(h) * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &img.rgb[(size_t(y) * size_t(w) + size_t(x)) * 3];
      p[0] = uint8_t(x * 255 / std::max(1, w - 1));
      p[1] = uint8_t(y * 255 / std::max(1, h - 1));
      p[2] = 128;
    }
  return img;
}

inline void write(const std::filesystem::path& p, const std::vector<uint8_t>& b) {
  REQUIRE(write_bytes(p, b).ok());
}

}  // namespace vknn::data::test
