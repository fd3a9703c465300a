#include "case_reference.h"

#include <cstring>

namespace vknn::ref {

std::vector<int32_t> as_int32(const std::vector<float>& bits) {
  std::vector<int32_t> out(bits.size());
  std::memcpy(out.data(), bits.data(), bits.size() * 4);
  return out;
}

}  // namespace vknn::ref
