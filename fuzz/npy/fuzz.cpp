// .npy arrays (ONNX test data, tools' inputs): magic, version, the header's Python literal,
// dtype, shape and data length.
#include "vknn/data/npy.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto a = vknn::data::parse_npy({data, size}, "fuzz");
  if (a.ok() && !a->values.empty()) {
    volatile float last = a->values.back();
    (void)last;
  }
  return 0;
}
