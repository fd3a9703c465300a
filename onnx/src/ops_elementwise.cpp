// Element-wise ops: Relu; Add, Sub, Mul and Div (folded on values known at import).
#include "fold.h"
#include "importer.h"

#include "vknn/ops/add.h"
#include "vknn/ops/relu.h"

#include <cmath>
#include <limits>

namespace vknn::onnx {
namespace {

Status relu_op(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  const Value& v = im.input(n, 0);
  if (v.constant && v.constant->is_float()) {
    std::vector<float> r(*v.constant->f);
    for (float& e : r) e = std::max(e, 0.0f);
    im.set_constant(n, 0, HostTensor::floats(v.shape, std::move(r)));
    return {};
  }
  VKNN_ASSIGN(TensorId x, im.raw_tensor(n, 0));
  TensorId y = relu(im.g, x, im.name(n));
  if (y.valid()) im.set_output(n, 0, y, v.shape);
  return {};
}

enum class Arith { add, sub, mul, div };

Result<int64_t> int_arith(Arith op, int64_t a, int64_t b) {
  int64_t r = 0;
  switch (op) {
    case Arith::add: if (!__builtin_add_overflow(a, b, &r)) return r; break;
    case Arith::sub: if (!__builtin_sub_overflow(a, b, &r)) return r; break;
    case Arith::mul: if (!__builtin_mul_overflow(a, b, &r)) return r; break;
    case Arith::div:
      if (b == 0) return make_error(Errc::parse, "integer division by zero");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) break;
      return a / b;  // truncation toward zero, as ONNX's integer Div
  }
  return make_error(Errc::parse, "integer arithmetic on {} and {} overflows int64", a, b);
}

double float_arith(Arith op, double a, double b) {
  switch (op) {
    case Arith::add: return a + b;
    case Arith::sub: return a - b;
    case Arith::mul: return a * b;
    case Arith::div: return a / b;
  }
  return 0;
}

Status binary(Importer& im, const ::onnx::NodeProto& n, const Attrs& a, Arith op) {
  (void)a;
  if (im.dry) return {};
  const Value& x = im.input(n, 0);
  const Value& y = im.input(n, 1);
  if (x.constant && y.constant) {
    VKNN_ASSIGN(HostTensor r, fold_binary(
                                  *x.constant, *y.constant, [op](double p, double q) { return float_arith(op, p, q); },
                                  [op](int64_t p, int64_t q) { return int_arith(op, p, q); }));
    im.set_constant(n, 0, std::move(r));
    return {};
  }
  VKNN_ASSIGN(const std::vector<int64_t> out, broadcast_shape(x.shape, y.shape));
  if (op != Arith::add || x.shape != y.shape)
    return unsupported("{} of {} and {}: only Add of equal shapes is supported", n.op_type(), dims_str(x.shape),
                       dims_str(y.shape));
  // Equal shapes: the graph tensors as they are when they agree (no copy), else in the ONNX shape.
  VKNN_ASSIGN(TensorId p, im.raw_tensor(n, 0));
  VKNN_ASSIGN(TensorId q, im.raw_tensor(n, 1));
  if (im.dims(p) != im.dims(q)) {
    VKNN_ASSIGN(p, im.tensor(n, 0));
    VKNN_ASSIGN(q, im.tensor(n, 1));
  }
  TensorId r = add(im.g, p, q, im.name(n));
  if (r.valid()) im.set_output(n, 0, r, out);
  return {};
}

}  // namespace

void register_elementwise_ops(std::unordered_map<std::string, Converter>& t) {
  t["Relu"] = relu_op;
  t["Add"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return binary(im, n, a, Arith::add); };
  t["Sub"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return binary(im, n, a, Arith::sub); };
  t["Mul"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return binary(im, n, a, Arith::mul); };
  t["Div"] = [](Importer& im, const ::onnx::NodeProto& n, const Attrs& a) { return binary(im, n, a, Arith::div); };
}

}  // namespace vknn::onnx
