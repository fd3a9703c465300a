// The ONNX importer on a model's bytes: protobuf parsing (Debian's libonnx-dev classes),
// then vknn's checks of the graph, tensors, attributes and shapes, and the graph build. The
// input's size picks inference or training import, so both paths see every seed's mutants.
#include "vknn/onnx/import.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vknn::onnx::ImportOptions options;
  options.training = size % 2 == 1;
  (void)vknn::onnx::import_bytes({reinterpret_cast<const std::byte*>(data), size}, options, "fuzz");
  return 0;
}
