// The autotuner's file (vknn/engine/tuning.h), parsed against a fixed device (the seeds' UUID
// 00112233445566778899aabbccddeeff, driver version 42): anything may be refused, nothing may crash.
#include "vknn/engine/tuning.h"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const vknn::TuneIdentity id{"00112233445566778899aabbccddeeff", 42, "fuzz"};
  auto r = vknn::TuneTable::parse({reinterpret_cast<const char*>(data), size}, id);
  if (r.ok()) (void)vknn::TuneTable::serialize(*r, id);  // what parses must also write back
  return 0;
}
