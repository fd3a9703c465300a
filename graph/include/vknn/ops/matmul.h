// Batched matrix multiply with strided operands and a fused epilogue (bias, ReLU,
// accumulate). The building block of linear and convolution.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/tensor.h"

namespace vknn {

enum class MatmulVariant {
  automatic,  // the device profile's family for KernelClass::matmul (VKNN_MATMUL=register|shared overrides)
  register_blocked,
  shared_tiled,
  rows_dot,  // M <= 4 with A and B contiguous along K (batch-1 fully connected forward)
  columns,   // B and C contiguous along N, with M or K small (batch-1 backward to data, outer products)
};

// C[z](M,N) = relu?(alpha * A[z](M,K)·B[z](K,N) + bias + (accumulate ? C[z] : 0))
// with A(m,k) = a[z*a_batch + m*a_m + k*a_k] etc. (element strides, so a transposed
// operand is just swapped strides).
struct MatmulDesc {
  uint32_t M = 0, N = 0, K = 0, batch = 1;
  uint32_t a_m = 0, a_k = 0, b_k = 0, b_n = 0, c_m = 0, c_n = 0;
  uint32_t a_batch = 0, b_batch = 0, c_batch = 0, bias_batch = 0;
  enum class Bias { none, per_row, per_column } bias = Bias::none;
  bool relu = false;
  bool accumulate = false;
  float alpha = 1.0f;
  MatmulVariant variant = MatmulVariant::automatic;
};

// The general kernel for this device (register_blocked or shared_tiled), from its profile.
MatmulVariant resolve_matmul_variant(const DeviceProfile& profile, MatmulVariant requested);
// The kernel record_matmul will use for this problem: a small-M/small-K kernel where its
// conditions hold (it is memory-bound work that the tiled kernels would mostly waste),
// else the general one.
MatmulVariant choose_matmul_variant(const DeviceProfile& profile, const struct MatmulDesc& d);
// The shader of a (non-automatic) variant.
ShaderId matmul_shader(MatmulVariant variant);

// Records the matmul. `bias` may be an invalid BufferRef when desc.bias is none.
// Checks that every index stays inside its buffer.
Status record_matmul(CommandList& cl, const MatmulDesc& desc, const BufferRef& a, const BufferRef& b,
                     const BufferRef& bias, const BufferRef& c);

}  // namespace vknn
