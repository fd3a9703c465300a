// IDX images and labels, plain or gzipped (MNIST, Fashion-MNIST). The input is a 2-byte
// little-endian length L, then L bytes of the labels file, then the images file.
#include "vknn/data/datasets.h"

#include <algorithm>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t labels = std::min<size_t>(size - 2, size_t(data[0]) | size_t(data[1]) << 8);
  auto ds = vknn::data::parse_idx({data + 2 + labels, size - 2 - labels}, "images", {data + 2, labels}, "labels");
  if (ds.ok() && ds->n > 0) {
    volatile float last = ds->image(ds->n - 1).back();  // the tensor holds every image
    (void)last;
  }
  return 0;
}
