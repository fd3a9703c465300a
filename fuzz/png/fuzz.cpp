// PNG (libpng's simplified API behind vknn's budget checks) and the resize path.
#include "image_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_image(data, size, false); }
