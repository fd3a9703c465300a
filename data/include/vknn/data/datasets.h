// In-memory datasets read from the classic binary formats: IDX (MNIST, Fashion-MNIST; gzipped
// or not) and CIFAR-10's binary batches. Every parser checks magic, dimensions and the exact
// file length, and reports a malformed file as an Error that names it (never a crash; see the
// fuzz tests in tests/data/).
#pragma once

#include "vknn/engine/result.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vknn::data {

// N images, NCHW float in [0, 1] (byte / 255), and one int32 label per image.
struct Dataset {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<float> images;    // n * c * h * w
  std::vector<int32_t> labels;  // n
  int32_t num_classes = 0;      // max label + 1 (10 for CIFAR-10)

  int64_t sample_size() const { return c * h * w; }
  std::span<const float> image(int64_t i) const {
    return {images.data() + i * sample_size(), size_t(sample_size())};
  }
};

// Reads a whole file; Errc::io naming the file on failure.
Result<std::vector<uint8_t>> read_file(const std::filesystem::path& path);
// True if the bytes start with the gzip magic 1f 8b.
bool is_gzip(std::span<const uint8_t> bytes);
// Inflates a gzip stream (Errc::parse naming `source` if it is corrupt or truncated, or if
// it inflates to more than max_bytes).
Result<std::vector<uint8_t>> gunzip(std::span<const uint8_t> bytes, const std::string& source,
                                    size_t max_bytes = size_t(4) << 30);

// Compresses to a gzip stream (for tests and tools writing .gz files).
std::vector<uint8_t> gzip(std::span<const uint8_t> bytes);

// IDX: big-endian magic 0x00000803 (ubyte, 3 dims: N, rows, cols) for images and 0x00000801
// (ubyte, 1 dim: N) for labels. Files may be gzipped (detected by magic). The two counts must
// agree and each file's length must be exactly header + payload.
// The image payload (N * rows * cols bytes, gzipped or not) is limited to kMaxIdxBytes: the
// largest IDX sets in use (EMNIST) hold under 600 MB, and the floats are four times as much.
inline constexpr uint64_t kMaxIdxBytes = uint64_t(1) << 30;
Result<Dataset> load_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path);
// The same from bytes already in memory (gzipped or not); `*_source` names them in errors.
Result<Dataset> parse_idx(std::span<const uint8_t> images, const std::string& images_source,
                          std::span<const uint8_t> labels, const std::string& labels_source);

// CIFAR-10 binary batches: records of 1 label byte (0..9) + 3072 bytes (R, G, B planes of
// 32x32). A length that is not a multiple of 3073, or a label >= 10, is an error naming the file.
inline constexpr int64_t kCifarRecordBytes = 1 + 3 * 32 * 32;
Result<Dataset> load_cifar_binary(const std::vector<std::filesystem::path>& paths);
// Appends the records in `bytes` to `out` (which must be empty or 3x32x32).
Status parse_cifar_binary(std::span<const uint8_t> bytes, const std::string& source, Dataset& out);

}  // namespace vknn::data
