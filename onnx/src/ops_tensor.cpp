// Layout ops: Identity, Reshape, Flatten, Squeeze, Unsqueeze, Concat, Split, Slice,
// Transpose (at run time: channel shuffle), Pad (a constant on C, H and W, or cropping). On values
// known at import they are folded. On tensors computed at run time a reshape costs nothing
// here: the value keeps its graph tensor under a new ONNX shape, and a consumer that needs the
// new shape in the graph gets one copy (Importer::tensor).
#include "fold.h"
#include "importer.h"

#include "vknn/ops/channel_shuffle.h"
#include "vknn/ops/concat.h"
#include "vknn/ops/pad.h"

#include <algorithm>
#include <climits>
#include <numeric>

namespace vknn::onnx {
namespace {

int64_t product(const std::vector<int64_t>& d, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t k = begin; k < end; ++k) p *= d[k];
  return p;
}

// The (N,C,H,W) shape (outer, dims[axis], inner, 1) that makes `axis` the channel axis of
// the graph's concat and split, or the shape itself when it is 4-D and axis is 1.
std::vector<int64_t> channel_view(const std::vector<int64_t>& d, int64_t axis) {
  if (axis == 1 && d.size() == 4) return d;
  const auto a = size_t(axis);
  return {product(d, 0, a), d[a], product(d, a + 1, d.size()), 1};
}

bool all_constant(const Importer& im, const ::onnx::NodeProto& n) {
  for (int k = 0; k < n.input_size(); ++k)
    if (im.has_input(n, k) && !im.input(n, k).constant) return false;
  return true;
}

// The integer list a constant input holds ("shape", "axes", ...).
Result<std::vector<int64_t>> ints_input(Importer& im, const ::onnx::NodeProto& n, int k, const char* role) {
  VKNN_ASSIGN(auto t, im.constant(n, k, role));
  if (t->is_float()) return make_error(Errc::parse, "input {} ('{}', the {}) is not integer", k, n.input(k), role);
  return t->i;
}

// A run-time value under a new ONNX shape (same elements, same order).
void relabel(Importer& im, const ::onnx::NodeProto& n, const Value& v, std::vector<int64_t> dims) {
  if (v.constant) {
    im.set_constant(n, 0, with_dims(*v.constant, std::move(dims)));
    return;
  }
  Value r = v;
  r.shape = std::move(dims);
  im.alias_output(n, 0, r);
}

Status identity(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  im.alias_output(n, 0, im.input(n, 0));
  return {};
}

Status reshape_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const int64_t allowzero, a.i("allowzero", 0));
  if (im.dry) return {};
  VKNN_ASSIGN(const std::vector<int64_t> shape, ints_input(im, n, 1, "shape"));
  const Value& v = im.input(n, 0);
  VKNN_ASSIGN(std::vector<int64_t> dims, reshape_dims(v.shape, shape, allowzero != 0));
  relabel(im, n, v, std::move(dims));
  return {};
}

Status flatten(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(int64_t axis, a.i("axis", 1));
  if (im.dry) return {};
  const Value& v = im.input(n, 0);
  const auto rank = int64_t(v.shape.size());
  if (axis < -rank || axis > rank)
    return make_error(Errc::parse, "Flatten axis {} is outside [-{}, {}]", axis, rank, rank);
  if (axis < 0) axis += rank;
  relabel(im, n, v, {product(v.shape, 0, size_t(axis)), product(v.shape, size_t(axis), v.shape.size())});
  return {};
}

// Squeeze and Unsqueeze: axes as an attribute before opset 13, as an input from 13 on.
Result<std::vector<int64_t>> axes_of(Importer& im, const ::onnx::NodeProto& n, const Attrs& a, bool required) {
  if (im.opset < 13) {
    if (required && !a.has("axes")) return make_error(Errc::parse, "attribute 'axes' is missing");
    return a.ints("axes");
  }
  if (!im.has_input(n, 1)) {
    if (required) return make_error(Errc::parse, "input 'axes' is missing");
    return std::vector<int64_t>{};
  }
  return ints_input(im, n, 1, "axes");
}

Status squeeze(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  if (im.opset < 13) VKNN_TRY(a.ints("axes"));
  if (im.dry) return {};
  VKNN_ASSIGN(const std::vector<int64_t> axes, axes_of(im, n, a, false));
  const Value& v = im.input(n, 0);
  VKNN_ASSIGN(std::vector<int64_t> dims, squeeze_dims(v.shape, axes));
  relabel(im, n, v, std::move(dims));
  return {};
}

Status unsqueeze(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  if (im.opset < 13) VKNN_TRY(a.ints("axes"));
  if (im.dry) return {};
  VKNN_ASSIGN(const std::vector<int64_t> axes, axes_of(im, n, a, true));
  const Value& v = im.input(n, 0);
  VKNN_ASSIGN(std::vector<int64_t> dims, unsqueeze_dims(v.shape, axes));
  relabel(im, n, v, std::move(dims));
  return {};
}

Status concat_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const int64_t axis_attr, a.i("axis", 0));
  if (!a.has("axis")) return make_error(Errc::parse, "attribute 'axis' is missing");
  if (im.dry) return {};
  if (all_constant(im, n)) {
    std::vector<const HostTensor*> parts;
    for (int k = 0; k < n.input_size(); ++k)
      if (im.has_input(n, k)) parts.push_back(im.input(n, k).constant.get());
    VKNN_ASSIGN(HostTensor r, fold_concat(parts, axis_attr));
    im.set_constant(n, 0, std::move(r));
    return {};
  }
  const std::vector<int64_t>& first = im.shape(n, 0);
  const auto rank = int64_t(first.size());
  VKNN_ASSIGN(const int64_t axis, normalize_axis(axis_attr, rank, "Concat axis"));
  std::vector<TensorId> parts;
  std::vector<int64_t> out = first;
  out[size_t(axis)] = 0;
  for (int k = 0; k < n.input_size(); ++k) {
    const std::vector<int64_t>& s = im.shape(n, k);
    if (int64_t(s.size()) != rank) return make_error(Errc::parse, "Concat of ranks {} and {}", rank, s.size());
    out[size_t(axis)] += s[size_t(axis)];
    VKNN_ASSIGN(TensorId t, im.tensor(n, k, channel_view(s, axis)));
    parts.push_back(t);
  }
  TensorId y = concat(im.g, parts, im.name(n));
  im.set_output(n, 0, y, out);
  return {};
}

Status split_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const int64_t axis_attr, a.i("axis", 0));
  std::vector<int64_t> sizes;
  if (im.opset < 13) {
    VKNN_ASSIGN(sizes, a.ints("split"));
  }
  if (a.has("num_outputs")) return unsupported("attribute 'num_outputs' (opset 18) is not supported");
  if (im.dry) return {};
  if (im.opset >= 13 && im.has_input(n, 1)) {
    VKNN_ASSIGN(sizes, ints_input(im, n, 1, "split"));
  }
  const Value& v = im.input(n, 0);
  const auto rank = int64_t(v.shape.size());
  VKNN_ASSIGN(const int64_t axis, normalize_axis(axis_attr, rank, "Split axis"));
  const int64_t dim = v.shape[size_t(axis)];
  if (sizes.empty()) {  // equal parts
    const int64_t parts = n.output_size();
    if (parts <= 0 || dim % parts != 0)
      return make_error(Errc::parse, "Split of {} into {} equal parts", dim, parts);
    sizes.assign(size_t(parts), dim / parts);
  }
  if (int64_t(sizes.size()) != n.output_size() ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != dim ||
      std::any_of(sizes.begin(), sizes.end(), [](int64_t s) { return s < 0; }))
    return make_error(Errc::parse, "Split sizes {} do not cover dim {} of {} with {} outputs", dims_str(sizes), dim,
                      dims_str(v.shape), n.output_size());
  if (v.constant) {
    int64_t start = 0;
    for (int k = 0; k < n.output_size(); ++k) {
      VKNN_ASSIGN(HostTensor r, fold_slice(*v.constant, {start}, {start + sizes[size_t(k)]}, {axis}, {1}));
      im.set_constant(n, k, std::move(r));
      start += sizes[size_t(k)];
    }
    return {};
  }
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0, channel_view(v.shape, axis)));
  std::vector<TensorId> ys = split(im.g, x, sizes, im.name(n));
  if (ys.size() != sizes.size()) return {};  // refused: import reports g.status()
  for (int k = 0; k < n.output_size(); ++k) {
    std::vector<int64_t> dims = v.shape;
    dims[size_t(axis)] = sizes[size_t(k)];
    im.set_output(n, k, ys[size_t(k)], dims);
  }
  return {};
}

// Slice: starts/ends/axes as attributes before opset 10, as inputs (with steps) from 10 on.
Status slice_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (im.opset < 10) {
    VKNN_ASSIGN(starts, a.ints("starts"));
    VKNN_ASSIGN(ends, a.ints("ends"));
    VKNN_ASSIGN(axes, a.ints("axes"));
  }
  if (im.dry) return {};
  if (im.opset >= 10) {
    VKNN_ASSIGN(starts, ints_input(im, n, 1, "starts"));
    VKNN_ASSIGN(ends, ints_input(im, n, 2, "ends"));
    if (im.has_input(n, 3)) {
      VKNN_ASSIGN(axes, ints_input(im, n, 3, "axes"));
    }
    if (im.has_input(n, 4)) {
      VKNN_ASSIGN(steps, ints_input(im, n, 4, "steps"));
    }
  }
  const Value& v = im.input(n, 0);
  if (v.constant) {
    VKNN_ASSIGN(HostTensor r, fold_slice(*v.constant, starts, ends, axes, steps));
    im.set_constant(n, 0, std::move(r));
    return {};
  }
  // The output's shape (and whether the slice is a plain range of one axis) from folding the
  // slice of a tensor of the same shape holding its own indices would cost its size; compute
  // the geometry directly instead.
  const auto rank = int64_t(v.shape.size());
  if (axes.empty())
    for (int64_t k = 0; k < int64_t(starts.size()); ++k) axes.push_back(k);
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || starts.size() != axes.size() || steps.size() != axes.size())
    return make_error(Errc::parse, "Slice: starts, ends, axes and steps differ in length");
  int64_t axis = -1, begin = 0, end = 0;
  for (size_t k = 0; k < axes.size(); ++k) {
    VKNN_ASSIGN(const int64_t ax, normalize_axis(axes[k], rank, "Slice axis"));
    const int64_t dim = v.shape[size_t(ax)];
    int64_t b = starts[k] < 0 ? starts[k] + dim : starts[k], e = ends[k] < 0 ? ends[k] + dim : ends[k];
    b = std::clamp<int64_t>(b, 0, dim);
    e = std::clamp<int64_t>(e, 0, dim);
    if (steps[k] == 1 && b == 0 && e == dim) continue;  // the whole axis
    if (steps[k] != 1)
      return unsupported("input 'steps' = {}: only step 1 is supported on tensors computed at run time",
                         dims_str(steps));
    if (axis >= 0) return unsupported("slicing along more than one axis at run time is not supported");
    if (e <= b) return unsupported("an empty slice [{}, {}) of axis {} is not supported", b, e, ax);
    axis = ax, begin = b, end = e;
  }
  if (axis < 0) {
    im.alias_output(n, 0, v);
    return {};
  }
  // A range of one axis: the middle part of a split.
  const int64_t dim = v.shape[size_t(axis)];
  std::vector<int64_t> sizes, dims = v.shape;
  if (begin > 0) sizes.push_back(begin);
  sizes.push_back(end - begin);
  if (end < dim) sizes.push_back(dim - end);
  dims[size_t(axis)] = end - begin;
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0, channel_view(v.shape, axis)));
  std::vector<TensorId> parts = split(im.g, x, sizes, im.name(n));
  if (parts.size() != sizes.size()) return {};
  im.set_output(n, 0, parts[begin > 0 ? 1 : 0], dims);
  return {};
}

// A transpose at run time as far as channel shuffle needs it: the batch axis and a tail of
// axes stay, and the axes between swap two blocks, (N, A.., B.., T..) -> (N, B.., A.., T..).
// Viewed as (N, C, T) with C = |A|*|B| that is a channel shuffle in |A| groups (the reshape
// (N,g,C/g,H,W) -> Transpose(0,2,1,3,4) -> reshape of ShuffleNet; the reshapes around it
// cost nothing here).
Status runtime_transpose(Importer& im, const ::onnx::NodeProto& n, const Value& v, const std::vector<int64_t>& perm,
                         std::vector<int64_t> dims) {
  const auto rank = int64_t(perm.size());
  int64_t tail = rank;  // axes tail.. stay
  while (tail > 0 && perm[size_t(tail - 1)] == tail - 1) --tail;
  // perm[1..tail) must be (a+1 .. tail-1, 1 .. a) for some 1 <= a < tail-1.
  bool shuffle = rank >= 3 && perm[0] == 0 && tail >= 3;
  const int64_t a = shuffle ? perm[size_t(tail - 1)] : 0;
  for (int64_t k = 1; shuffle && k < tail; ++k) {
    const int64_t want = k < tail - a ? a + k : k - (tail - a) + 1;
    if (perm[size_t(k)] != want) shuffle = false;
  }
  if (!shuffle)
    return unsupported("attribute 'perm' = {}: at run time only a swap of two blocks of axes between the batch "
                       "axis and the kept tail (a channel shuffle) is supported",
                       dims_str(perm));
  const int64_t groups = product(v.shape, 1, size_t(a + 1));
  const int64_t channels = product(v.shape, 1, size_t(tail));
  // The graph tensor as it is when it already reads as (N, C, ...) (the usual case: the
  // reshape before the transpose was only a relabel), else one copy into (N, C, T, 1).
  VKNN_ASSIGN(TensorId x, im.raw_tensor(n, 0));
  const Shape& gs = im.g.shape(x);
  if (gs.rank() != 4 || gs[0] != v.shape[0] || gs[1] != channels) {
    VKNN_ASSIGN(x, im.tensor(n, 0, {v.shape[0], channels, product(v.shape, size_t(tail), v.shape.size()), 1}));
  }
  ChannelShuffleParams p;
  p.groups = groups;
  TensorId y = channel_shuffle(im.g, x, p, im.name(n));
  if (y.valid()) im.set_output(n, 0, y, std::move(dims));
  return {};
}

Status transpose(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(std::vector<int64_t> perm, a.ints("perm"));
  if (im.dry) return {};
  const Value& v = im.input(n, 0);
  const auto rank = int64_t(v.shape.size());
  if (perm.empty())
    for (int64_t k = rank; k-- > 0;) perm.push_back(k);
  if (int64_t(perm.size()) != rank) return make_error(Errc::parse, "Transpose perm {} for rank {}", dims_str(perm), rank);
  std::vector<bool> seen(size_t(rank), false);
  std::vector<int64_t> dims(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) {
    VKNN_ASSIGN(const int64_t p, normalize_axis(perm[size_t(k)], rank, "Transpose perm"));
    if (seen[size_t(p)]) return make_error(Errc::parse, "Transpose perm {} repeats {}", dims_str(perm), p);
    seen[size_t(p)] = true;
    perm[size_t(k)] = p;
    dims[size_t(k)] = v.shape[size_t(p)];
  }
  // A permutation that moves only 1-dims keeps the element order: a relabel.
  std::vector<int64_t> kept;
  for (int64_t p : perm)
    if (v.shape[size_t(p)] != 1) kept.push_back(p);
  if (std::is_sorted(kept.begin(), kept.end())) {
    relabel(im, n, v, std::move(dims));
    return {};
  }
  if (!v.constant) return runtime_transpose(im, n, v, perm, std::move(dims));
  // Folded: gather element by element.
  const HostTensor& t = *v.constant;
  std::vector<int64_t> stride(size_t(rank), 1), source;
  for (int64_t k = rank - 1; k > 0; --k) stride[size_t(k - 1)] = stride[size_t(k)] * t.dims[size_t(k)];
  const int64_t total = t.numel();
  source.reserve(size_t(total));
  std::vector<int64_t> pos(size_t(rank), 0);
  for (int64_t e = 0; e < total; ++e) {
    int64_t i = 0;
    for (int64_t k = 0; k < rank; ++k) i += pos[size_t(k)] * stride[size_t(perm[size_t(k)])];
    source.push_back(i);
    for (int64_t k = rank; k-- > 0;) {
      if (++pos[size_t(k)] < dims[size_t(k)]) break;
      pos[size_t(k)] = 0;
    }
  }
  HostTensor r;
  if (t.is_float()) {
    std::vector<float> f(source.size());
    for (size_t e = 0; e < f.size(); ++e) f[e] = (*t.f)[size_t(source[e])];
    r = HostTensor::floats(dims, std::move(f));
  } else {
    std::vector<int64_t> iv(source.size());
    for (size_t e = 0; e < iv.size(); ++e) iv[e] = t.i[size_t(source[e])];
    r = HostTensor::ints(dims, std::move(iv), t.onnx_type);
  }
  im.set_constant(n, 0, std::move(r));
  return {};
}

// The attribute of a node by name, or null (for looking at a consumer before converting it).
const ::onnx::AttributeProto* attribute_of(const ::onnx::NodeProto& n, const char* name) {
  for (const auto& at : n.attribute())
    if (at.name() == name) return &at;
  return nullptr;
}

// Whether zero padding of H and W (top, left, bottom, right) before `c` (the only consumer of a
// Pad) can be added to its own pads: a Conv whose pads with these added stay symmetric (as
// conv2d takes them), or an AveragePool that counts padding as zeros in floor mode, fed by the
// Pad, whose pads with these added stay below its kernel (as pooling takes them). Else the Pad
// is a graph pad.
bool takes_padding(const ::onnx::NodeProto& c, const std::string& value, const std::array<int64_t, 4>& extra) {
  if (c.input_size() < 1 || c.input(0) != value || !(c.domain().empty() || c.domain() == "ai.onnx")) return false;
  if (const auto* ap = attribute_of(c, "auto_pad"); ap && ap->s() != "NOTSET" && ap->s() != "VALID") return false;
  std::array<int64_t, 4> total = extra;
  if (const auto* own = attribute_of(c, "pads")) {
    if (own->ints_size() != 4) return false;
    for (int k = 0; k < 4; ++k) {
      if (own->ints(k) < 0 || own->ints(k) > INT_MAX) return false;  // the consumer refuses it itself
      total[size_t(k)] += own->ints(k);
    }
  }
  if (c.op_type() == "Conv") return total[0] == total[2] && total[1] == total[3];
  if (c.op_type() != "AveragePool") return false;
  const auto* include = attribute_of(c, "count_include_pad");
  const auto* ceil = attribute_of(c, "ceil_mode");
  const auto* kernel = attribute_of(c, "kernel_shape");
  return include && include->i() == 1 && !(ceil && ceil->i() != 0) && kernel && kernel->ints_size() == 2 &&
         std::max(total[0], total[2]) < kernel->ints(0) && std::max(total[1], total[3]) < kernel->ints(1);
}

// Pad in mode 'constant': pads are attributes before opset 11 and inputs from 11 on (with
// optional axes from 18). All-zero pads are the identity; zero padding of H and W before a
// Conv or a counting AveragePool becomes that node's padding (see takes_padding); any other constant padding or
// cropping of the C, H and W of a tensor of rank 4 or less (viewed as (N,C,H,W), missing
// leading axes as 1) is the graph's pad. Anything else is refused, naming what.
Status pad_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const std::string mode, a.s("mode", "constant"));
  std::vector<int64_t> pads;
  float value = 0;
  if (im.opset < 11) {
    VKNN_ASSIGN(pads, a.ints("pads"));
    VKNN_ASSIGN(value, a.f("value", 0.0f));
  }
  if (mode != "constant") return unsupported("attribute 'mode' = '{}': only 'constant' is supported", mode);
  if (im.dry) return {};
  if (im.opset >= 11) {
    VKNN_ASSIGN(pads, ints_input(im, n, 1, "pads"));
    if (im.has_input(n, 2)) {
      VKNN_ASSIGN(auto c, im.constant(n, 2, "constant_value"));
      if (c->numel() != 1) return make_error(Errc::parse, "Pad constant_value '{}' is not a scalar", n.input(2));
      value = float(c->at(0));
    }
  }
  const Value& v = im.input(n, 0);
  const auto rank = int64_t(v.shape.size());
  std::vector<int64_t> axes;
  if (im.opset >= 18 && im.has_input(n, 3)) {
    VKNN_ASSIGN(const std::vector<int64_t> given, ints_input(im, n, 3, "axes"));
    for (int64_t ax : given) {
      VKNN_ASSIGN(const int64_t k, normalize_axis(ax, rank, "Pad axis"));
      if (std::find(axes.begin(), axes.end(), k) != axes.end())
        return make_error(Errc::parse, "Pad axes {} name axis {} twice", dims_str(given), k);
      axes.push_back(k);
    }
  } else {
    for (int64_t k = 0; k < rank; ++k) axes.push_back(k);
  }
  if (pads.size() != 2 * axes.size())
    return make_error(Errc::parse, "Pad pads {} for {} axes", dims_str(pads), axes.size());
  std::vector<int64_t> begin(size_t(rank), 0), end(size_t(rank), 0);
  for (size_t k = 0; k < axes.size(); ++k) {
    begin[size_t(axes[k])] = pads[k];
    end[size_t(axes[k])] = pads[k + axes.size()];
  }
  if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) {
    im.alias_output(n, 0, v);
    return {};
  }
  if (v.constant) return unsupported("input 'pads' = {}: padding a value known at import is not supported", dims_str(pads));
  const bool cropping = std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; });
  const bool only_hw = rank == 4 && begin[0] == 0 && end[0] == 0 && begin[1] == 0 && end[1] == 0;
  auto it = im.consumers.find(n.output(0));
  if (value == 0 && !cropping && only_hw && std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p <= INT_MAX; }) &&
      !im.graph_outputs.count(n.output(0)) && it != im.consumers.end() && it->second.size() == 1 &&
      takes_padding(*it->second[0], n.output(0), {begin[2], begin[3], end[2], end[3]})) {
    im.extra_pads[it->second[0]] = {begin[2], begin[3], end[2], end[3]};
    im.alias_output(n, 0, v);
    return {};
  }
  // The graph's pad on the (N,C,H,W) view.
  if (rank > 4)
    return unsupported("input 'pads' = {} of {}: only tensors of rank 4 or less can be padded", dims_str(pads),
                       dims_str(v.shape));
  const size_t lead = size_t(4 - rank);
  std::vector<int64_t> view(lead, 1);
  view.insert(view.end(), v.shape.begin(), v.shape.end());
  if (lead == 0 && (begin[0] != 0 || end[0] != 0))
    return unsupported("input 'pads' = {} of {}: the batch axis cannot be padded", dims_str(pads), dims_str(v.shape));
  PadParams p;
  p.value = value;
  for (size_t k = 0; k < 3; ++k) {
    if (k + 1 < lead) continue;  // a missing leading axis: no pads
    p.begin[k] = begin[k + 1 - lead];
    p.end[k] = end[k + 1 - lead];
  }
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0, view));
  TensorId y = pad(im.g, x, p, im.name(n));
  if (!y.valid()) return {};  // refused: import reports g.status()
  const std::vector<int64_t>& out = im.g.shape(y).dims;
  im.set_output(n, 0, y, std::vector<int64_t>(out.begin() + long(lead), out.end()));
  return {};
}

}  // namespace

void register_tensor_ops(std::unordered_map<std::string, Converter>& t) {
  t["Identity"] = identity;
  t["Reshape"] = reshape_op;
  t["Flatten"] = flatten;
  t["Squeeze"] = squeeze;
  t["Unsqueeze"] = unsqueeze;
  t["Concat"] = concat_op;
  t["Split"] = split_op;
  t["Slice"] = slice_op;
  t["Transpose"] = transpose;
  t["Pad"] = pad_op;
}

}  // namespace vknn::onnx
