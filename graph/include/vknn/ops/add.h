// Residual add (the ResNet shortcut) and the element-wise helpers gradient bookkeeping needs.
//   forward:  y = a + b                      (accumulate: y += a + b)
//   backward: da = dy, db = dy               the gradient fans out unchanged.
// A tensor that feeds several ops receives the sum of their gradients: the first contributor
// overwrites (accumulate = false), later ones add (accumulate = true); so each of da and db
// has its own flag, and either may be absent (a default TensorView{}) when its input needs
// no gradient.
//
// All tensors of one call have the same shape (any rank, no broadcasting). Tensors larger
// than one storage-buffer binding (maxStorageBufferRange, 128 MiB on lavapipe) are processed
// in chunks, so there is no size limit beyond 2^32 - 1 elements.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

namespace vknn {

// y = a + b, or y += a + b. y may be a or b itself (in place). a, b and y all fp16 (fp16
// storage, precision.h; the sum is fp32, rounded once) or all fp32.
Status record_add_forward(CommandList& cl, const TensorView& a, const TensorView& b, const TensorView& y,
                          bool accumulate = false);

// da (+)= dy and db (+)= dy in one pass. An absent da or db (TensorView{}: no buffer) is skipped;
// at least one must be present.
Status record_add_backward(CommandList& cl, const TensorView& dy, const TensorView& da, bool accumulate_a,
                           const TensorView& db, bool accumulate_b);

// dst = src (a transfer copy). Same shape, no overlap.
Status record_copy(CommandList& cl, const TensorView& src, const TensorView& dst);
// dst += src. Same shape.
Status record_accumulate(CommandList& cl, const TensorView& src, const TensorView& dst);
// dst = alpha * src, or dst += alpha * src. Same shape; dst may be src itself (in place).
Status record_scale(CommandList& cl, const TensorView& src, float alpha, const TensorView& dst, bool accumulate);

namespace detail {
// The most fp32 elements one storage-buffer binding may span on this device, a multiple of
// 128 (so chunk offsets stay 256-byte aligned, the largest minStorageBufferOffsetAlignment,
// for fp16 elements too).
uint64_t max_binding_floats(const Context& ctx);
// Whether an optional tensor argument was given.
inline bool present(const TensorView& t) { return t.buffer.valid(); }
// Whether two tensors are the same range (in place), and whether they overlap otherwise.
inline bool same_range(const TensorView& a, const TensorView& b) {
  return a.buffer.buffer == b.buffer.buffer && a.buffer.offset == b.buffer.offset;
}
inline bool partial_overlap(const TensorView& a, const TensorView& b) {
  return range(a).overlaps(range(b)) && !same_range(a, b);
}
// Refuses tensors whose element indices do not fit the shaders' uint.
Status check_elements(const char* op, const char* name, const TensorView& t);
// check_elements, and refuses a tensor larger than one storage-buffer binding (an op whose
// shader binds the whole tensor at once).
Status check_one_binding(const char* op, const char* name, const TensorView& t, const Context& ctx);
// For an op with an fp16 variant: whether its float tensors (null entries are absent ones)
// are fp16; all must share one storage type (f32 or f16), and fp16 needs the device's
// 16-bit storage. Errc::invalid_argument naming the odd tensor, or Errc::unsupported.
Result<bool> half_storage(const char* op, const Context& ctx,
                          std::initializer_list<std::pair<const char*, const TensorView*>> tensors);
// Runs `record(first element, count)` over consecutive chunks that each fit one binding.
template <class F>
void for_each_chunk(const CommandList& cl, int64_t count, F&& record) {
  const int64_t chunk = int64_t(max_binding_floats(cl.context()));
  for (int64_t b = 0; b < count; b += chunk) record(uint64_t(b), uint32_t(std::min(chunk, count - b)));
}
// Elements [first, first + count) of a tensor, as a binding.
inline BufferRef chunk_of(const TensorView& t, uint64_t first, uint32_t count) {
  return t.buffer.sub(first * dtype_bytes(t.dtype), uint64_t(count) * dtype_bytes(t.dtype));
}
}  // namespace detail

// Graph builder: y = a + b (the residual shortcut); the gradient fans out to both.
TensorId add(Graph& g, TensorId a, TensorId b, const std::string& name = "add");
// Whether a node is add()'s (for graph rewrites).
bool is_add(const Node& n);

}  // namespace vknn
