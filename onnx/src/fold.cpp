#include "fold.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vknn::onnx {

Result<int64_t> normalize_axis(int64_t axis, int64_t rank, const std::string& what) {
  if (axis < -rank || axis >= rank)
    return make_error(Errc::parse, "{} {} is outside [-{}, {}) for a rank-{} tensor", what, axis, rank, rank, rank);
  return axis < 0 ? axis + rank : axis;
}

Result<std::vector<int64_t>> broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> out(r);
  for (size_t k = 0; k < r; ++k) {
    const int64_t da = k < r - a.size() ? 1 : a[k - (r - a.size())];
    const int64_t db = k < r - b.size() ? 1 : b[k - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      return make_error(Errc::parse, "shapes {} and {} do not broadcast", dims_str(a), dims_str(b));
    out[k] = da == 1 ? db : da;
  }
  return out;
}

namespace {

// For each output element of `out` dims, the index of the element of an operand of `dims`
// (right-aligned, broadcast along its 1-dims).
std::vector<int64_t> broadcast_index(const std::vector<int64_t>& out, const std::vector<int64_t>& dims) {
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  std::vector<int64_t> idx(static_cast<size_t>(total));
  const size_t off = out.size() - dims.size();
  std::vector<int64_t> stride(out.size(), 0);
  int64_t s = 1;
  for (size_t k = dims.size(); k-- > 0;) {
    stride[k + off] = dims[k] == 1 ? 0 : s;
    s *= dims[k];
  }
  std::vector<int64_t> pos(out.size(), 0);
  for (int64_t e = 0; e < total; ++e) {
    int64_t i = 0;
    for (size_t k = 0; k < out.size(); ++k) i += pos[k] * stride[k];
    idx[size_t(e)] = i;
    for (size_t k = out.size(); k-- > 0;) {
      if (++pos[k] < out[k]) break;
      pos[k] = 0;
    }
  }
  return idx;
}

}  // namespace

Result<HostTensor> fold_binary(const HostTensor& a, const HostTensor& b,
                               const std::function<double(double, double)>& float_op,
                               const std::function<Result<int64_t>(int64_t, int64_t)>& int_op) {
  VKNN_ASSIGN(std::vector<int64_t> dims, broadcast_shape(a.dims, b.dims));
  VKNN_TRY(checked_numel(dims, "folded value"));
  const std::vector<int64_t> ia = broadcast_index(dims, a.dims), ib = broadcast_index(dims, b.dims);
  if (a.is_float() || b.is_float()) {
    std::vector<float> v(ia.size());
    for (size_t e = 0; e < v.size(); ++e) v[e] = float(float_op(a.at(ia[e]), b.at(ib[e])));
    return HostTensor::floats(std::move(dims), std::move(v));
  }
  std::vector<int64_t> v(ia.size());
  for (size_t e = 0; e < v.size(); ++e) {
    VKNN_ASSIGN(v[e], int_op(a.i[size_t(ia[e])], b.i[size_t(ib[e])]));
  }
  return HostTensor::ints(std::move(dims), std::move(v), a.onnx_type);
}

HostTensor with_dims(const HostTensor& t, std::vector<int64_t> dims) {
  HostTensor r = t;
  r.dims = std::move(dims);
  return r;
}

namespace {

// Copies elements selected by `source` (indices into t) into a tensor of `dims`.
HostTensor select(const HostTensor& t, std::vector<int64_t> dims, const std::vector<int64_t>& source) {
  if (t.is_float()) {
    std::vector<float> v(source.size());
    for (size_t e = 0; e < v.size(); ++e) v[e] = (*t.f)[size_t(source[e])];
    return HostTensor::floats(std::move(dims), std::move(v));
  }
  std::vector<int64_t> v(source.size());
  for (size_t e = 0; e < v.size(); ++e) v[e] = t.i[size_t(source[e])];
  return HostTensor::ints(std::move(dims), std::move(v), t.onnx_type);
}

}  // namespace

Result<HostTensor> fold_gather(const HostTensor& data, const HostTensor& indices, int64_t axis) {
  if (indices.is_float()) return make_error(Errc::parse, "Gather indices must be integers");
  const int64_t rank = int64_t(data.dims.size());
  if (rank == 0) return make_error(Errc::parse, "Gather of a scalar");
  VKNN_ASSIGN(axis, normalize_axis(axis, rank, "Gather axis"));
  const int64_t n = data.dims[size_t(axis)];
  int64_t outer = 1, inner = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= data.dims[size_t(k)];
  for (int64_t k = axis + 1; k < rank; ++k) inner *= data.dims[size_t(k)];
  std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + axis);
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), data.dims.begin() + axis + 1, data.dims.end());
  VKNN_TRY(checked_numel(dims, "Gather output"));
  std::vector<int64_t> source;
  source.reserve(size_t(outer) * indices.i.size() * size_t(inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t ix : indices.i) {
      if (ix < -n || ix >= n) return make_error(Errc::parse, "Gather index {} is outside [-{}, {})", ix, n, n);
      const int64_t j = ix < 0 ? ix + n : ix;
      for (int64_t i = 0; i < inner; ++i) source.push_back((o * n + j) * inner + i);
    }
  return select(data, std::move(dims), source);
}

Result<HostTensor> fold_slice(const HostTensor& data, std::vector<int64_t> starts, std::vector<int64_t> ends,
                              std::vector<int64_t> axes, std::vector<int64_t> steps) {
  const int64_t rank = int64_t(data.dims.size());
  if (axes.empty())
    for (int64_t k = 0; k < int64_t(starts.size()); ++k) axes.push_back(k);
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || starts.size() != axes.size() || starts.size() != steps.size())
    return make_error(Errc::parse, "Slice: starts, ends, axes and steps differ in length");
  std::vector<int64_t> begin(size_t(rank), 0), step(size_t(rank), 1), dims = data.dims;
  std::vector<bool> seen(size_t(rank), false);
  for (size_t k = 0; k < axes.size(); ++k) {
    VKNN_ASSIGN(const int64_t a, normalize_axis(axes[k], rank, "Slice axis"));
    if (seen[size_t(a)]) return make_error(Errc::parse, "Slice: axis {} repeats", a);
    seen[size_t(a)] = true;
    const int64_t n = data.dims[size_t(a)];
    const int64_t s = std::max(steps[k], -std::numeric_limits<int64_t>::max());  // -s stays representable
    if (s == 0) return make_error(Errc::parse, "Slice: step 0");
    // ONNX Slice: negative starts/ends count from the end (adding n to a negative number
    // cannot overflow), then starts clamp to [0, n] and ends to [0, n] for positive steps,
    // starts to [0, n-1] and ends to [-1, n-1] for negative ones.
    int64_t b = starts[k] < 0 ? starts[k] + n : starts[k];
    int64_t e = ends[k] < 0 ? ends[k] + n : ends[k];
    if (n == 0) {
      dims[size_t(a)] = 0;
    } else if (s > 0) {
      b = std::clamp<int64_t>(b, 0, n);
      e = std::clamp<int64_t>(e, 0, n);
      dims[size_t(a)] = e > b ? (e - b - 1) / s + 1 : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, n - 1);
      e = std::clamp<int64_t>(e, -1, n - 1);
      dims[size_t(a)] = b > e ? (b - e - 1) / (-s) + 1 : 0;
    }
    begin[size_t(a)] = b;
    step[size_t(a)] = s;
  }
  VKNN_ASSIGN(const int64_t total, checked_numel(dims, "Slice output"));
  std::vector<int64_t> stride(size_t(rank), 1);
  for (int64_t k = rank - 1; k > 0; --k) stride[size_t(k - 1)] = stride[size_t(k)] * data.dims[size_t(k)];
  std::vector<int64_t> source(static_cast<size_t>(total)), pos(size_t(rank), 0);
  for (int64_t e = 0; e < total; ++e) {
    int64_t i = 0;
    for (int64_t k = 0; k < rank; ++k) i += (begin[size_t(k)] + pos[size_t(k)] * step[size_t(k)]) * stride[size_t(k)];
    source[size_t(e)] = i;
    for (int64_t k = rank; k-- > 0;) {
      if (++pos[size_t(k)] < dims[size_t(k)]) break;
      pos[size_t(k)] = 0;
    }
  }
  return select(data, std::move(dims), source);
}

Result<HostTensor> fold_concat(const std::vector<const HostTensor*>& parts, int64_t axis) {
  if (parts.empty()) return make_error(Errc::parse, "Concat of nothing");
  const HostTensor& first = *parts[0];
  const int64_t rank = int64_t(first.dims.size());
  VKNN_ASSIGN(axis, normalize_axis(axis, rank, "Concat axis"));
  std::vector<int64_t> dims = first.dims;
  dims[size_t(axis)] = 0;
  bool floats = false;
  for (const HostTensor* p : parts) {
    if (int64_t(p->dims.size()) != rank) return make_error(Errc::parse, "Concat of tensors of different ranks");
    for (int64_t k = 0; k < rank; ++k)
      if (k != axis && p->dims[size_t(k)] != first.dims[size_t(k)])
        return make_error(Errc::parse, "Concat along {} of {} and {}", axis, dims_str(first.dims), dims_str(p->dims));
    dims[size_t(axis)] += p->dims[size_t(axis)];
    floats = floats || p->is_float();
  }
  VKNN_ASSIGN(const int64_t total, checked_numel(dims, "Concat output"));
  int64_t outer = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= dims[size_t(k)];
  std::vector<double> v;
  v.reserve(size_t(total));
  for (int64_t o = 0; o < outer; ++o)
    for (const HostTensor* p : parts) {
      const int64_t chunk = p->numel() / std::max<int64_t>(outer, 1);
      for (int64_t e = 0; e < chunk; ++e) v.push_back(p->at(o * chunk + e));
    }
  if (floats) return HostTensor::floats(std::move(dims), std::vector<float>(v.begin(), v.end()));
  std::vector<int64_t> iv(v.size());
  // Integers went through double only when all parts are integers; exact below 2^53, and
  // shape values are far below that. Recompute exactly anyway.
  size_t at = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const HostTensor* p : parts) {
      const int64_t chunk = p->numel() / std::max<int64_t>(outer, 1);
      for (int64_t e = 0; e < chunk; ++e) iv[at++] = p->i[size_t(o * chunk + e)];
    }
  return HostTensor::ints(std::move(dims), std::move(iv), first.onnx_type);
}

Result<HostTensor> fold_cast(const HostTensor& t, int32_t to) {
  if (is_float_type(to)) {
    if (t.is_float()) {
      HostTensor r = t;
      r.onnx_type = to;
      return r;
    }
    std::vector<float> v(t.i.size());
    for (size_t e = 0; e < v.size(); ++e) v[e] = float(t.i[e]);
    HostTensor r = HostTensor::floats(t.dims, std::move(v));
    r.onnx_type = to;
    return r;
  }
  if (!is_integer_type(to)) return make_error(Errc::unsupported, "Cast to {}", onnx_type_name(to));
  std::vector<int64_t> v(size_t(t.numel()));
  for (size_t e = 0; e < v.size(); ++e) {
    if (t.is_float()) {
      const double x = (*t.f)[e];
      if (to == kBool) {
        v[e] = x != 0;
        continue;
      }
      if (!(std::abs(x) < 9.2e18)) return make_error(Errc::unsupported, "Cast of {} to {}", x, onnx_type_name(to));
      v[e] = int64_t(x);  // truncation toward zero
    } else {
      v[e] = to == kBool ? t.i[e] != 0 : t.i[e];
    }
  }
  return HostTensor::ints(t.dims, std::move(v), to);
}

Result<std::vector<int64_t>> reshape_dims(const std::vector<int64_t>& in, const std::vector<int64_t>& shape,
                                          bool allowzero) {
  int64_t total = 1;
  for (int64_t d : in) total *= d;
  std::vector<int64_t> out(shape.size());
  int64_t known = 1, infer = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    int64_t d = shape[k];
    if (d == 0 && !allowzero) {
      if (k >= in.size()) return make_error(Errc::parse, "Reshape to {}: dim {} copies a dim {} lacks", dims_str(shape), k, dims_str(in));
      d = in[k];
    }
    if (d == -1) {
      if (infer >= 0) return make_error(Errc::parse, "Reshape to {}: two dims are -1", dims_str(shape));
      infer = int64_t(k);
      out[k] = 1;
      continue;
    }
    if (d < 0) return make_error(Errc::parse, "Reshape to {}: negative dim {}", dims_str(shape), d);
    if (__builtin_mul_overflow(known, d, &known) || known > kMaxTensorElements)
      return make_error(Errc::parse, "Reshape to {}: too many elements", dims_str(shape));
    out[k] = d;
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      return make_error(Errc::parse, "Reshape of {} to {}: the -1 dim cannot be inferred", dims_str(in), dims_str(shape));
    out[size_t(infer)] = total / known;
  } else if (known != total) {
    return make_error(Errc::parse, "Reshape of {} ({} elements) to {} ({} elements)", dims_str(in), total,
                      dims_str(shape), known);
  }
  return out;
}

Result<std::vector<int64_t>> squeeze_dims(const std::vector<int64_t>& in, std::vector<int64_t> axes) {
  const int64_t rank = int64_t(in.size());
  std::vector<bool> drop(size_t(rank), false);
  if (axes.empty())
    for (int64_t k = 0; k < rank; ++k) drop[size_t(k)] = in[size_t(k)] == 1;
  for (int64_t a : axes) {
    VKNN_ASSIGN(a, normalize_axis(a, rank, "Squeeze axis"));
    if (in[size_t(a)] != 1) return make_error(Errc::parse, "Squeeze of axis {} of {}: not 1", a, dims_str(in));
    drop[size_t(a)] = true;
  }
  std::vector<int64_t> out;
  for (int64_t k = 0; k < rank; ++k)
    if (!drop[size_t(k)]) out.push_back(in[size_t(k)]);
  return out;
}

Result<std::vector<int64_t>> unsqueeze_dims(const std::vector<int64_t>& in, std::vector<int64_t> axes) {
  const int64_t rank = int64_t(in.size() + axes.size());
  std::vector<bool> one(size_t(rank), false);
  for (int64_t a : axes) {
    VKNN_ASSIGN(a, normalize_axis(a, rank, "Unsqueeze axis"));
    if (one[size_t(a)]) return make_error(Errc::parse, "Unsqueeze: axis {} repeats", a);
    one[size_t(a)] = true;
  }
  std::vector<int64_t> out;
  size_t j = 0;
  for (int64_t k = 0; k < rank; ++k) out.push_back(one[size_t(k)] ? 1 : in[j++]);
  return out;
}

}  // namespace vknn::onnx
