// Shapes and fp32 tensor views over engine buffers. Ops take TensorViews and check
// every shape before they record anything.
#pragma once

#include "vknn/engine/memory.h"
#include "vknn/engine/result.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace vknn {

struct Shape {
  std::vector<int64_t> dims;

  Shape() = default;
  Shape(std::initializer_list<int64_t> d) : dims(d) {}
  explicit Shape(std::vector<int64_t> d) : dims(std::move(d)) {}

  size_t rank() const { return dims.size(); }
  int64_t operator[](size_t i) const { return dims[i]; }
  int64_t numel() const;
  uint64_t bytes() const { return uint64_t(numel()) * sizeof(float); }
  bool operator==(const Shape&) const = default;
  std::string str() const;  // "(2,3,227,227)"
};

// A contiguous fp32 tensor in a buffer range.
struct TensorView {
  BufferRef buffer;
  Shape shape;

  int64_t numel() const { return shape.numel(); }
  std::string str() const { return shape.str(); }
};

// Shape checks that produce Errc::invalid_argument errors naming the op and the shapes.
Status check_rank(const char* op, const char* name, const TensorView& t, size_t rank);
Status check_shape(const char* op, const char* name, const TensorView& t, const Shape& expected);
Status check_positive(const char* op, const char* name, const TensorView& t);

// The bytes of a tensor's elements (its buffer range may be longer), for binding.
inline BufferRef range(const TensorView& t) { return t.buffer.sub(0, t.shape.bytes()); }

// Work groups needed for `n` invocations in groups of `local`.
inline uint32_t groups_for(int64_t n, uint32_t local) { return uint32_t((n + local - 1) / local); }

}  // namespace vknn
