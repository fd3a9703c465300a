// CIFAR-10 binary batches: records of a label byte and 3072 pixel bytes, read twice into one
// dataset (the second call takes the append path).
#include "vknn/data/datasets.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vknn::data::Dataset ds;
  if (!vknn::data::parse_cifar_binary({data, size}, "fuzz", ds).ok()) return 0;
  (void)vknn::data::parse_cifar_binary({data, size}, "fuzz again", ds);
  volatile float last = ds.image(ds.n - 1).back();
  (void)last;
  return 0;
}
