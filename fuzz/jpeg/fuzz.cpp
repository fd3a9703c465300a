// JPEG (libjpeg-turbo behind vknn's budget checks and error handling) and the resize path.
#include "image_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_image(data, size, true); }
