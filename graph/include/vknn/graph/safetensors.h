// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-
// endian header length, a JSON header mapping tensor names to dtype, shape and byte range,
// then the raw data. Used for checkpoints and for weights saved from PyTorch.
//
// Files are untrusted: every length, offset, shape and dtype is checked, and any problem is
// an Errc::parse error naming the file and the tensor. Writing is atomic: a temporary file
// in the same directory, flushed, then renamed over the target.
#pragma once

#include "vknn/engine/file.h"
#include "vknn/engine/result.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace vknn {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;           // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section
};

size_t safetensors_dtype_size(const std::string& dtype);  // 0 if unknown

class SafetensorsFile {
 public:
  static Result<SafetensorsFile> read(const std::filesystem::path& path);
  // `source` names the data in error messages.
  static Result<SafetensorsFile> parse(std::vector<uint8_t> bytes, std::string source);

  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const SafetensorsEntry* find(const std::string& name) const;
  std::span<const uint8_t> data(const SafetensorsEntry& e) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& source() const { return source_; }

  // The named F32 tensor, which must have exactly `shape`; the error names the file, the
  // tensor and both shapes.
  Result<std::vector<float>> read_f32(const std::string& name, const std::vector<int64_t>& shape) const;

 private:
  std::string source_;
  std::vector<uint8_t> bytes_;
  uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

class SafetensorsWriter {
 public:
  void add(std::string name, std::string dtype, std::vector<int64_t> shape, std::span<const uint8_t> bytes);
  void add_f32(std::string name, std::vector<int64_t> shape, std::span<const float> values);
  void set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }
  std::vector<uint8_t> serialize() const;
  Status write_atomic(const std::filesystem::path& path) const;

 private:
  struct Item {
    std::string name, dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::vector<Item> items_;
  std::map<std::string, std::string> metadata_;
};


}  // namespace vknn
