// Batched matrix multiply with strided operands and a fused epilogue (bias, ReLU,
// accumulate). The building block of linear and convolution.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
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

// ---------------------------------------------------------------------------- matmul as a graph op
// Two run-time operands (either may be a parameter or an activation), ONNX's MatMul and Gemm:
//   y[z] = alpha * op(a[z]) · op(b[z]) (+ beta * c),   op(t) = t or tᵀ (trans_a, trans_b)
//   a (...,M,K) or (...,K,M) with trans_a; b (...,K,N) or (...,N,K) with trans_b; y (...,M,N)
//   c (optional, 2-D products only): (), (N), (1,N), (M,1) or (M,N), broadcast to (M,N)
//   backward:  op(a)' = alpha * dy · op(b)ᵀ,  op(b)' = alpha * op(a)ᵀ · dy,
//              c' = beta * dy summed over the dims c repeats along
// The leading (batch) dims broadcast as NumPy's: each operand's are either the output's or
// all 1 (one matrix shared by every z; its gradient is then summed over z). A transpose is a
// choice of strides for record_matmul, so every pass is one product; so is beta * c and its
// gradient, each a product with a one (filled into the workspace) whose strides are 0.
struct MatmulNodeParams {
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f;
  float beta = 1.0f;  // the scale of c, where there is one
  MatmulVariant variant = MatmulVariant::automatic;  // forced in tests; graphs keep automatic
};

enum class MatmulPass { forward, backward_a, backward_b, backward_c };

// y's shape, or an error naming the shapes when they do not multiply (or c does not broadcast
// to the product; c null: none).
Result<Shape> matmul_output_shape(const MatmulNodeParams& p, const Shape& a, const Shape& b,
                                  const Shape* c = nullptr);
// The record_matmul description of the pass's product of a and b (forward, backward_a,
// backward_b), for the kernel choice (choose_matmul_variant).
Result<MatmulDesc> matmul_pass_desc(const MatmulNodeParams& p, const Shape& a, const Shape& b, MatmulPass pass);
// The description of the product with c: beta * c broadcast into y (forward), or c's gradient
// (backward_c).
Result<MatmulDesc> matmul_c_desc(const MatmulNodeParams& p, const Shape& a, const Shape& b, const Shape& c,
                                 MatmulPass pass);
// Scratch floats a pass needs: 1 (the one) for the forward with c and for backward_c; for
// backward_a and backward_b the per-z gradients of an operand shared over z, summed afterwards
// (record_sum_rows), or 0 when the gradient is one product.
uint64_t matmul_pass_workspace(const MatmulNodeParams& p, const Shape& a, const Shape& b, MatmulPass pass,
                               bool with_c = false);

// y = alpha * op(a)·op(b) (+ beta * c where c is present). y overlaps no operand. workspace:
// at least matmul_pass_workspace(forward) floats.
Status record_matmul_forward(CommandList& cl, const MatmulNodeParams& p, const TensorView& a, const TensorView& b,
                             const TensorView& y, const TensorView& c = {}, const BufferRef& workspace = {});
// da (+)= the gradient of a (shape of a), from dy (shape of y) and b. workspace: at least
// matmul_pass_workspace(backward_a) floats where that is not 0.
Status record_matmul_backward_a(CommandList& cl, const MatmulNodeParams& p, const TensorView& dy, const TensorView& b,
                                const TensorView& da, bool accumulate, const BufferRef& workspace = {});
// db (+)= the gradient of b (shape of b), from a and dy.
Status record_matmul_backward_b(CommandList& cl, const MatmulNodeParams& p, const TensorView& a, const TensorView& dy,
                                const TensorView& db, bool accumulate, const BufferRef& workspace = {});
// dc (+)= beta * dy summed to c's shape (dy 2-D); workspace: 1 float.
Status record_matmul_backward_c(CommandList& cl, const MatmulNodeParams& p, const TensorView& dy,
                                const TensorView& dc, bool accumulate, const BufferRef& workspace);

// Graph builder: y = alpha * op(a)·op(b), plus beta * c where c is valid.
TensorId matmul(Graph& g, TensorId a, TensorId b, const MatmulNodeParams& p = {}, const std::string& name = "matmul");
TensorId matmul(Graph& g, TensorId a, TensorId b, TensorId c, const MatmulNodeParams& p,
                const std::string& name = "matmul");

// The parameters of a forward matmul node (inputs a, b[, c]), or null for any other node.
const MatmulNodeParams* matmul_params(const Node& n);

}  // namespace vknn
