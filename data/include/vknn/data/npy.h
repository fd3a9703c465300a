// NumPy .npy files, the arrays users have (numpy.save): format versions 1.0, 2.0 and 3.0
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
//
// Reading is strict, as for any untrusted file: the magic, the version, a header that is
// exactly a Python dict literal of 'descr', 'fortran_order' and 'shape' (nothing else), a
// C-order little-endian array of float32, float64, int32 or int64 (converted to float32),
// every size product checked for overflow, and a data section of exactly the shape's bytes.
// Writing produces version 1.0 float32 ('<f4', C order), 64-byte aligned, atomically.
#pragma once

#include "vknn/engine/result.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vknn::data {

struct NpyArray {
  std::vector<int64_t> shape;  // () is a scalar
  std::vector<float> values;   // product of shape, C order
};

// `what` names the bytes in errors (a file name).
Result<NpyArray> parse_npy(std::span<const uint8_t> bytes, const std::string& what);
Result<NpyArray> read_npy(const std::filesystem::path& path);

// Fails (Errc::invalid_argument) when values.size() is not the product of shape.
Result<std::vector<uint8_t>> format_npy(const NpyArray& array);
Status write_npy(const std::filesystem::path& path, const NpyArray& array);

}  // namespace vknn::data
