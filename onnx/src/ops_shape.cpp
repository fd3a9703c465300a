// Ops that only ever compute values known at import (constants and shape arithmetic):
// Constant, ConstantOfShape, Shape, Size, Gather, Cast, Range. Each is folded; one that
// would have to run on a tensor computed at run time is unsupported.
#include "fold.h"
#include "importer.h"

#include <cmath>
#include <limits>

namespace vknn::onnx {
namespace {

Status constant(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  const std::string what = fmt::format("Constant '{}'", n.output_size() ? n.output(0) : n.name());
  std::optional<HostTensor> t;
  if (const auto* v = a.tensor("value")) {
    VKNN_ASSIGN(t, read_tensor(*v, im.external, what));
  } else if (a.has("value_float")) {
    VKNN_ASSIGN(const float f, a.f("value_float", 0));
    t = HostTensor::floats({}, {f});
  } else if (a.has("value_floats")) {
    VKNN_ASSIGN(std::vector<float> f, a.floats("value_floats"));
    const int64_t count = int64_t(f.size());
    t = HostTensor::floats({count}, std::move(f));
  } else if (a.has("value_int")) {
    VKNN_ASSIGN(const int64_t i, a.i("value_int", 0));
    t = HostTensor::ints({}, {i});
  } else if (a.has("value_ints")) {
    VKNN_ASSIGN(std::vector<int64_t> i, a.ints("value_ints"));
    const int64_t count = int64_t(i.size());
    t = HostTensor::ints({count}, std::move(i));
  } else if (a.has("value")) {
    return make_error(Errc::parse, "{}: attribute 'value' is not a tensor", what);
  } else if (a.has("sparse_value") || a.has("value_string") || a.has("value_strings")) {
    for (const char* k : {"sparse_value", "value_string", "value_strings"})
      if (a.has(k)) return unsupported("attribute '{}' is not supported", k);
  } else {
    return make_error(Errc::parse, "{} has no value", what);
  }
  if (im.dry) return {};
  im.set_constant(n, 0, std::move(*t));
  return {};
}

Status constant_of_shape(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  HostTensor fill = HostTensor::floats({1}, {0.0f});
  if (const auto* v = a.tensor("value")) {
    VKNN_ASSIGN(fill, read_tensor(*v, im.external, "ConstantOfShape value"));
    if (fill.numel() != 1) return make_error(Errc::parse, "ConstantOfShape value has {} elements, not 1", fill.numel());
  } else if (a.has("value")) {
    return make_error(Errc::parse, "ConstantOfShape value is not a tensor");
  }
  if (im.dry) return {};
  VKNN_ASSIGN(auto shape, im.constant(n, 0, "shape"));
  if (shape->is_float()) return make_error(Errc::parse, "ConstantOfShape shape is not integer");
  VKNN_ASSIGN(const int64_t count, checked_numel(shape->i, "ConstantOfShape output"));
  if (fill.is_float()) {
    HostTensor t = HostTensor::floats(shape->i, std::vector<float>(size_t(count), (*fill.f)[0]));
    t.onnx_type = fill.onnx_type;
    im.set_constant(n, 0, std::move(t));
  } else {
    im.set_constant(n, 0, HostTensor::ints(shape->i, std::vector<int64_t>(size_t(count), fill.i[0]), fill.onnx_type));
  }
  return {};
}

Status shape(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(int64_t start, a.i("start", 0));
  VKNN_ASSIGN(int64_t end, a.i("end", std::numeric_limits<int64_t>::max()));
  if (im.dry) return {};
  const std::vector<int64_t>& s = im.shape(n, 0);
  const int64_t rank = int64_t(s.size());
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  std::vector<int64_t> v(s.begin() + start, s.begin() + std::max(start, end));
  const int64_t count = int64_t(v.size());
  im.set_constant(n, 0, HostTensor::ints({count}, std::move(v)));
  return {};
}

Status size(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  int64_t count = 1;
  for (int64_t d : im.shape(n, 0)) count *= d;
  im.set_constant(n, 0, HostTensor::ints({}, {count}));
  return {};
}

Status gather(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const int64_t axis, a.i("axis", 0));
  if (im.dry) return {};
  VKNN_ASSIGN(auto data, im.constant(n, 0, "data"));
  VKNN_ASSIGN(auto indices, im.constant(n, 1, "indices"));
  VKNN_ASSIGN(HostTensor r, fold_gather(*data, *indices, axis));
  im.set_constant(n, 0, std::move(r));
  return {};
}

Status cast(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const int64_t to, a.i("to", 0));
  // FLOAT16 and BFLOAT16 would round every value; vknn keeps fp32 (and a DOUBLE of fp32
  // values holds the same values).
  if (to != kFloat && to != kDouble && !is_integer_type(int32_t(to)))
    return unsupported("attribute 'to' = {}: vknn computes in fp32 and does not round to {}",
                       onnx_type_name(int32_t(to)), onnx_type_name(int32_t(to)));
  if (im.dry) return {};
  const Value& v = im.input(n, 0);
  if (!v.constant) {  // a run-time tensor is fp32 in vknn: a cast to a float type changes nothing
    if (to != kFloat && to != kDouble)
      return unsupported("attribute 'to' = {}: a tensor computed at run time cannot be cast to an integer type",
                         onnx_type_name(int32_t(to)));
    im.alias_output(n, 0, v);
    return {};
  }
  VKNN_ASSIGN(HostTensor r, fold_cast(*v.constant, int32_t(to)));
  im.set_constant(n, 0, std::move(r));
  return {};
}

Status range(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  VKNN_ASSIGN(auto start, im.constant(n, 0, "start"));
  VKNN_ASSIGN(auto limit, im.constant(n, 1, "limit"));
  VKNN_ASSIGN(auto delta, im.constant(n, 2, "delta"));
  for (const auto* t : {start.get(), limit.get(), delta.get()})
    if (t->numel() != 1) return make_error(Errc::parse, "Range takes scalars");
  const double s = start->at(0), l = limit->at(0), d = delta->at(0);
  if (d == 0 || !std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
    return make_error(Errc::parse, "Range({}, {}, {}) is not finite", s, l, d);
  const double count = std::max(std::ceil((l - s) / d), 0.0);
  if (count > double(kMaxTensorElements)) return make_error(Errc::parse, "Range({}, {}, {}) is too long", s, l, d);
  const int64_t c = int64_t(count);
  if (start->is_float()) {
    std::vector<float> v(static_cast<size_t>(c));
    for (int64_t k = 0; k < c; ++k) v[size_t(k)] = float(s + double(k) * d);
    im.set_constant(n, 0, HostTensor::floats({c}, std::move(v)));
  } else {
    std::vector<int64_t> v(static_cast<size_t>(c));
    for (int64_t k = 0; k < c; ++k)
      if (__builtin_mul_overflow(k, delta->i[0], &v[size_t(k)]) ||
          __builtin_add_overflow(v[size_t(k)], start->i[0], &v[size_t(k)]))
        return make_error(Errc::parse, "Range overflows int64");
    im.set_constant(n, 0, HostTensor::ints({c}, std::move(v), start->onnx_type));
  }
  return {};
}

}  // namespace

void register_shape_ops(std::unordered_map<std::string, Converter>& t) {
  t["Constant"] = constant;
  t["ConstantOfShape"] = constant_of_shape;
  t["Shape"] = shape;
  t["Size"] = size;
  t["Gather"] = gather;
  t["Cast"] = cast;
  t["Range"] = range;
}

}  // namespace vknn::onnx
