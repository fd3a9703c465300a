#include "vknn/graph/tensor.h"

#include <cmath>
#include <limits>

namespace vknn {

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string Shape::str() const {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += fmt::format("{}{}", i ? "," : "", dims[i]);
  return s + ")";
}

std::string TensorView::str() const {
  if (!is_channel_slice()) return shape.str();
  return fmt::format("{} in channels [{},{}) of {}", shape.str(), channel_offset,
                     channel_offset + (shape.rank() > 1 ? shape[1] : 0), parent_channels);
}

Status check_positive(const char* op, const char* name, const TensorView& t) {
  for (int64_t d : t.shape.dims)
    if (d <= 0) return make_error(Errc::invalid_argument, "{}: {} has shape {} with a non-positive size", op, name, t.str());
  if (t.is_channel_slice() && (t.shape.rank() < 2 || t.channel_offset < 0 || t.channel_offset + t.shape[1] > t.parent_channels))
    return make_error(Errc::invalid_argument, "{}: {} {} is not a channel slice of its parent", op, name, t.str());
  if (!t.buffer.valid()) return make_error(Errc::invalid_argument, "{}: {} {} has no buffer", op, name, t.str());
  if (t.buffer.size < t.spanned_bytes())
    return make_error(Errc::invalid_argument, "{}: {} {} needs {} bytes, its buffer range has {}", op, name, t.str(),
                      t.spanned_bytes(), t.buffer.size);
  return {};
}

Status check_contiguous(const char* op, const char* name, const TensorView& t) {
  if (t.is_channel_slice())
    return make_error(Errc::invalid_argument, "{}: {} {} is a channel slice; this operand must be contiguous", op, name,
                      t.str());
  return {};
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::f32: return "f32";
    case DType::i32: return "i32";
    case DType::f16: return "f16";
  }
  return "?";
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  float f = 0;
  if (exp == 0) f = std::ldexp(float(mant), -24);  // zero and subnormals
  else if (exp == 31) f = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else f = std::ldexp(float(mant | 0x400u), int(exp) - 25);
  return sign ? -f : f;
}

Status check_dtype(const char* op, const char* name, const TensorView& t, DType want) {
  if (t.dtype != want)
    return make_error(Errc::invalid_argument, "{}: {} {} holds {}, expected {}", op, name, t.str(), dtype_name(t.dtype),
                      dtype_name(want));
  return {};
}

Status check_rank(const char* op, const char* name, const TensorView& t, size_t rank) {
  if (t.shape.rank() != rank)
    return make_error(Errc::invalid_argument, "{}: {} must have rank {}, got shape {}", op, name, rank, t.str());
  return check_positive(op, name, t);
}

Status check_shape(const char* op, const char* name, const TensorView& t, const Shape& expected) {
  if (t.shape != expected)
    return make_error(Errc::invalid_argument, "{}: {} has shape {}, expected {}", op, name, t.str(), expected.str());
  return check_positive(op, name, t);
}

}  // namespace vknn
