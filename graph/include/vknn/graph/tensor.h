// Shapes and tensor views (fp32 unless stated) over engine buffers. Ops take TensorViews and check
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

// Element types. f16 holds activations and weights of an fp16 inference graph
// (vknn/graph/precision.h); ops that read or write it accumulate in fp32.
enum class DType { f32, i32, f16 };
inline uint64_t dtype_bytes(DType d) { return d == DType::f16 ? 2 : 4; }
const char* dtype_name(DType d);
// IEEE binary16 bits to float (exact), for reading fp16 tensors back on the host.
float half_to_float(uint16_t h);

// A contiguous tensor in a buffer range (fp32 unless `dtype` says otherwise), or a channel
// slice of one: with parent_channels > 0, `buffer` holds a whole (N, parent_channels, ...)
// tensor of which this view is channels [channel_offset, channel_offset + shape[1]), so image
// n's channel c sits at element (n * parent_channels + channel_offset + c) * (H*W...). The
// inference optimizer's concat without a copy makes them (optimize.h); the executor binds one
// only as the output of a node whose op accepts it (OpNode::writes_channel_slice). Ops check
// the dtype of each view they accept (check_dtype) and choose their shader variant by it.
struct TensorView {
  BufferRef buffer;
  Shape shape;
  int64_t channel_offset = 0;
  int64_t parent_channels = 0;  // 0: contiguous
  DType dtype = DType::f32;

  bool is_channel_slice() const { return parent_channels > 0; }
  int64_t numel() const { return shape.numel(); }
  uint64_t bytes() const { return uint64_t(numel()) * dtype_bytes(dtype); }
  // The bytes the view spans in its buffer: its own, or its parent's whole for a slice.
  uint64_t spanned_bytes() const {
    return is_channel_slice() ? bytes() / uint64_t(shape[1]) * uint64_t(parent_channels) : bytes();
  }
  std::string str() const;  // "(2,3,5,5)", or "(2,3,5,5) in channels [4,7) of 11"
};

// Shape checks that produce Errc::invalid_argument errors naming the op and the shapes.
Status check_rank(const char* op, const char* name, const TensorView& t, size_t rank);
Status check_shape(const char* op, const char* name, const TensorView& t, const Shape& expected);
Status check_positive(const char* op, const char* name, const TensorView& t);
// Refuses a channel slice (TensorView::parent_channels), for operands an op reads or writes
// as contiguous memory.
Status check_contiguous(const char* op, const char* name, const TensorView& t);
// Errc::invalid_argument naming the op and the tensor unless t holds `want`.
Status check_dtype(const char* op, const char* name, const TensorView& t, DType want);

// The bytes of a tensor's elements (its buffer range may be longer), for binding; a channel
// slice binds its parent's whole range (the other slices' bytes between its own).
inline BufferRef range(const TensorView& t) { return t.buffer.sub(0, t.spanned_bytes()); }

// Work groups needed for `n` invocations in groups of `local`.
inline uint32_t groups_for(int64_t n, uint32_t local) { return uint32_t((n + local - 1) / local); }

}  // namespace vknn
