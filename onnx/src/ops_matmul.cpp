// Matrix products: MatMul (NumPy's matmul: 1-D operands promoted to matrices, batch dims
// broadcast) and Gemm (Y = alpha * op(A)·op(B) + beta * C, C broadcast to (M,N)).
// The common Gemm of every classifier (transB = 1, alpha = beta = 1, C absent or one bias per
// output) becomes a linear layer, whose weight and bias keep their ONNX names; every other one
// the matmul op, which takes C in its ONNX shape.
#include "fold.h"
#include "importer.h"

#include "vknn/ops/linear.h"
#include "vknn/ops/matmul.h"

#include <cmath>

namespace vknn::onnx {
namespace {

// The matmul node of y = alpha * op(a)·op(b) (+ beta * c, c the node's input 2 where
// with_c) for a and b in the graph shapes `as` and `bs` (the node's inputs 0 and 1), refusing
// a batch broadcast vknn does not take.
Result<TensorId> product(Importer& im, const ::onnx::NodeProto& n, const MatmulNodeParams& p,
                         const std::vector<int64_t>& as, const std::vector<int64_t>& bs, bool with_c) {
  auto ys = matmul_output_shape(p, Shape(as), Shape(bs));
  if (!ys) return unsupported("{}", ys.error().message);
  VKNN_ASSIGN(TensorId a, im.tensor(n, 0, as));
  VKNN_ASSIGN(TensorId b, im.tensor(n, 1, bs));
  TensorId c;
  if (with_c) {
    VKNN_ASSIGN(c, im.tensor(n, 2));
  }
  TensorId y = matmul(im.g, a, b, c, p, im.name(n));
  if (!y.valid()) return im.g.status().error();
  return y;
}

Status matmul_op(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  std::vector<int64_t> as = im.shape(n, 0), bs = im.shape(n, 1);
  if (as.empty() || bs.empty())
    return make_error(Errc::parse, "MatMul of {} and {}: operands must have at least one dim", dims_str(as),
                      dims_str(bs));
  // A vector a (K) is a row (1,K) and b (K) a column (K,1); the added dim leaves the output.
  const bool row = as.size() == 1, column = bs.size() == 1;
  if (row) as.insert(as.begin(), 1);
  if (column) bs.push_back(1);
  const int64_t k = as.back(), kb = bs[bs.size() - 2];
  const std::vector<int64_t> za(as.begin(), as.end() - 2), zb(bs.begin(), bs.end() - 2);
  auto batch = broadcast_shape(za, zb);
  if (k != kb || !batch)
    return make_error(Errc::parse, "MatMul of {} and {}: the inner dims or the batch dims disagree",
                      dims_str(im.shape(n, 0)), dims_str(im.shape(n, 1)));
  VKNN_ASSIGN(TensorId y, product(im, n, MatmulNodeParams{}, as, bs, false));
  std::vector<int64_t> out = *batch;
  if (!row) out.push_back(as[as.size() - 2]);
  if (!column) out.push_back(bs.back());
  im.set_output(n, 0, y, out);
  return {};
}

// Whether C (of shape cs) broadcasts to (M,N) as Gemm allows (unidirectionally).
bool broadcasts_to(const std::vector<int64_t>& cs, int64_t m, int64_t nn) {
  if (cs.size() > 2) return false;
  const int64_t c0 = cs.size() == 2 ? cs[0] : 1, c1 = cs.empty() ? 1 : cs.back();
  return (c0 == 1 || c0 == m) && (c1 == 1 || c1 == nn);
}

Status gemm_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const float alpha, a.f("alpha", 1.0f));
  VKNN_ASSIGN(const float beta, a.f("beta", 1.0f));
  VKNN_ASSIGN(const int64_t trans_a, a.i("transA", 0));
  VKNN_ASSIGN(const int64_t trans_b, a.i("transB", 0));
  if ((trans_a != 0 && trans_a != 1) || (trans_b != 0 && trans_b != 1))
    return make_error(Errc::parse, "attributes 'transA' = {} and 'transB' = {} must be 0 or 1", trans_a, trans_b);
  if (!std::isfinite(alpha) || !std::isfinite(beta))
    return unsupported("attributes 'alpha' = {} and 'beta' = {}: only finite values are supported", alpha, beta);
  if (im.dry) return {};
  const auto& as = im.shape(n, 0);
  const auto& bs = im.shape(n, 1);
  if (as.size() != 2 || bs.size() != 2)
    return make_error(Errc::parse, "Gemm of {} and {}: both must be matrices", dims_str(as), dims_str(bs));
  const int64_t m = trans_a ? as[1] : as[0], k = trans_a ? as[0] : as[1];
  const int64_t kb = trans_b ? bs[1] : bs[0], nn = trans_b ? bs[0] : bs[1];
  if (k != kb)
    return make_error(Errc::parse, "Gemm of {}{} and {}{}: inner dims {} and {} differ", dims_str(as),
                      trans_a ? " (transposed)" : "", dims_str(bs), trans_b ? " (transposed)" : "", k, kb);
  const bool has_c = im.has_input(n, 2) && beta != 0.0f;  // beta 0: C does not take part
  const std::vector<int64_t> cs = has_c ? im.shape(n, 2) : std::vector<int64_t>{};
  if (has_c && !broadcasts_to(cs, m, nn))
    return make_error(Errc::parse, "Gemm input 'C' {} does not broadcast to the output [{},{}]", dims_str(cs), m, nn);
  const bool per_output = cs == std::vector<int64_t>{nn} || cs == std::vector<int64_t>{1, nn};
  if (!trans_a && trans_b && alpha == 1.0f && (!has_c || (beta == 1.0f && per_output))) {
    // The classifier's layer: x (M,K), weight (N,K), bias (N).
    TensorId bias;
    if (has_c) {
      VKNN_ASSIGN(bias, im.tensor(n, 2, {nn}));
    }
    VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
    VKNN_ASSIGN(TensorId weight, im.tensor(n, 1));
    LinearParams p;
    if (im.can_fuse_relu(n)) {
      p.relu = true;
      im.fuse_relu(n);
    }
    im.set_output(n, 0, linear(im.g, x, weight, bias, p, im.name(n)));
    return {};
  }
  MatmulNodeParams p;
  p.trans_a = trans_a != 0, p.trans_b = trans_b != 0, p.alpha = alpha, p.beta = beta;
  VKNN_ASSIGN(TensorId y, product(im, n, p, as, bs, has_c));
  im.set_output(n, 0, y);
  return {};
}

}  // namespace

void register_matmul_ops(std::unordered_map<std::string, Converter>& t) {
  t["MatMul"] = matmul_op;
  t["Gemm"] = gemm_op;
}

}  // namespace vknn::onnx
