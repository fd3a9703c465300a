// safetensors (checkpoints, --weights): the header's JSON, dtypes, shapes and byte ranges,
// then every F32 tensor read back through read_f32 (the path every weight load takes).
#include "vknn/graph/safetensors.h"

#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = vknn::SafetensorsFile::parse(std::vector<uint8_t>(data, data + size), "fuzz");
  if (!f.ok()) return 0;
  for (const auto& e : f->entries()) {
    const auto bytes = f->data(e);
    if (!bytes.empty()) {
      volatile uint8_t ends = bytes.front() ^ bytes.back();  // the range must lie in the file
      (void)ends;
    }
    if (e.dtype == "F32") (void)f->read_f32(e.name, e.shape);
  }
  return 0;
}
