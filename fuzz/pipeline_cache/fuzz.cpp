// The pipeline-cache file's header, checked before the blob reaches a driver. The device it
// is checked against is fixed (vendor 0x10005, device 0, cache UUID 00 01 .. 0f), as the
// seeds' headers are.
#include "vknn/engine/pipeline.h"

#include <array>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::array<uint8_t, VK_UUID_SIZE> uuid{};
  for (size_t i = 0; i < uuid.size(); ++i) uuid[i] = uint8_t(i);
  (void)vknn::pipeline_cache_header_problem({data, size}, 0x10005, 0, uuid);
  return 0;
}
