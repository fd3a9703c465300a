// Tensors whose values are known at import: initializers, Constant nodes and everything the
// importer folds (shape arithmetic). Floats stay floats; every integer and boolean type is
// widened to int64, which is all shape arithmetic needs.
#pragma once

#include "vknn/engine/result.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace onnx {
class TensorProto;
}

namespace vknn::onnx {

// ONNX TensorProto::DataType values the importer names.
enum OnnxType : int32_t {
  kFloat = 1, kUint8 = 2, kInt8 = 3, kUint16 = 4, kInt16 = 5, kInt32 = 6, kInt64 = 7, kString = 8, kBool = 9,
  kFloat16 = 10, kDouble = 11, kUint32 = 12, kUint64 = 13, kBfloat16 = 16,
};
const char* onnx_type_name(int32_t type);
bool is_float_type(int32_t type);
bool is_integer_type(int32_t type);  // ints and bool

// The most elements a tensor may hold: its byte count must fit comfortably in size_t and in
// a storage buffer's 32-bit element indices.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 31;

struct HostTensor {
  enum class Kind { f32, i64 };
  Kind kind = Kind::i64;
  int32_t onnx_type = kInt64;  // the element type it has in the model (Cast changes it)
  std::vector<int64_t> dims;   // rank 0: a scalar
  std::shared_ptr<const std::vector<float>> f;  // f32, numel() elements
  std::vector<int64_t> i;                       // i64, numel() elements

  int64_t numel() const;
  bool is_float() const { return kind == Kind::f32; }
  double at(int64_t k) const { return is_float() ? double((*f)[size_t(k)]) : double(i[size_t(k)]); }
  static HostTensor ints(std::vector<int64_t> dims, std::vector<int64_t> v, int32_t onnx_type = kInt64);
  static HostTensor floats(std::vector<int64_t> dims, std::vector<float> v);
};

// The product of `dims`, or an error naming `what` for a negative dim or a product over
// kMaxTensorElements.
Result<int64_t> checked_numel(const std::vector<int64_t>& dims, const std::string& what);
std::string dims_str(const std::vector<int64_t>& dims);  // "[1,3,224,224]"

// Resolves the external data of tensors against the model's folder. Locations must be
// relative paths inside that folder (ONNX's rule); each file is opened once.
class ExternalData {
 public:
  // `dir` empty: the model came from memory with no folder, so external data is refused.
  explicit ExternalData(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // Reads `length` bytes at `offset` of `location` into `out` (sized only once the file is
  // known to hold them: a declared length allocates nothing by itself).
  Status read(const std::string& tensor, const std::string& location, uint64_t offset, uint64_t length,
              std::string& out);

 private:
  struct File {
    std::ifstream in;
    uint64_t size = 0;
  };
  std::filesystem::path dir_;
  std::map<std::string, File> files_;
};

// The values of a TensorProto (inline in any of its typed fields, raw_data, or external),
// with every count and size checked. `what` names it in errors ("initializer 'conv1.weight'").
Result<HostTensor> read_tensor(const ::onnx::TensorProto& t, ExternalData& external, const std::string& what);

// Writes a tensor as a TensorProto with raw_data (the exporter's form).
void write_tensor(const HostTensor& t, const std::string& name, ::onnx::TensorProto& out);

}  // namespace vknn::onnx
