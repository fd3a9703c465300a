// Philox4x32-10 for the references: the library's own header-only implementation (one copy of
// the code, shared with the library; shaders/common/philox.glsl mirrors it). Included by
// path because the reference library does not link the graph library.
#pragma once

#include "../../graph/include/vknn/ops/philox.h"

namespace vknn::ref {
using vknn::philox::philox4x32_10;
using vknn::philox::dropout_keep;
using vknn::philox::dropout_uniform;
}  // namespace vknn::ref
