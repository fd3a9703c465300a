// Layers: Conv, BatchNormalization, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean
// (over H and W), LRN, Dropout. Each maps ONNX's attributes onto a vknn builder's parameters and reports what the
// builder cannot express as unsupported, naming the attribute.
#include "fold.h"
#include "importer.h"

#include "vknn/ops/avgpool.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/dropout.h"
#include "vknn/ops/lrn.h"
#include "vknn/ops/maxpool.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace vknn::onnx {
namespace {

// The 2-D window of a convolution or pooling node, as ONNX gives it.
struct Window {
  int64_t kh = 0, kw = 0, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t top = 0, left = 0, bottom = 0, right = 0;
  std::string auto_pad = "NOTSET";
  bool ceil = false;
};

Result<Window> read_window(const Attrs& a, bool has_dilations, bool has_ceil) {
  Window w;
  VKNN_ASSIGN(const std::vector<int64_t> k, a.ints("kernel_shape"));
  VKNN_ASSIGN(const std::vector<int64_t> s, a.ints("strides"));
  VKNN_ASSIGN(const std::vector<int64_t> p, a.ints("pads"));
  VKNN_ASSIGN(w.auto_pad, a.s("auto_pad", "NOTSET"));
  std::vector<int64_t> d;
  if (has_dilations) {
    VKNN_ASSIGN(d, a.ints("dilations"));
  }
  if (has_ceil) {
    VKNN_ASSIGN(const int64_t c, a.i("ceil_mode", 0));
    w.ceil = c != 0;
  }
  // Only 2-D windows: (N,C,H,W) tensors.
  if (!k.empty() && k.size() != 2) return unsupported("attribute 'kernel_shape' = {}: only 2-D windows", dims_str(k));
  if (!s.empty() && s.size() != 2) return unsupported("attribute 'strides' = {}: only 2-D windows", dims_str(s));
  if (!d.empty() && d.size() != 2) return unsupported("attribute 'dilations' = {}: only 2-D windows", dims_str(d));
  if (!p.empty() && p.size() != 4) return unsupported("attribute 'pads' = {}: only 2-D windows", dims_str(p));
  if (!k.empty()) w.kh = k[0], w.kw = k[1];
  if (!s.empty()) w.sh = s[0], w.sw = s[1];
  if (!d.empty()) w.dh = d[0], w.dw = d[1];
  if (!p.empty()) w.top = p[0], w.left = p[1], w.bottom = p[2], w.right = p[3];
  for (int64_t v : {w.sh, w.sw, w.dh, w.dw})
    if (v <= 0 || v > INT_MAX) return make_error(Errc::parse, "strides and dilations must be positive, got {}", v);
  for (int64_t v : {w.top, w.left, w.bottom, w.right})
    if (v < 0 || v > INT_MAX) return make_error(Errc::parse, "pads must be non-negative, got {}", dims_str(p));
  if (w.auto_pad != "NOTSET" && w.auto_pad != "VALID" && w.auto_pad != "SAME_UPPER" && w.auto_pad != "SAME_LOWER")
    return make_error(Errc::parse, "attribute 'auto_pad' = '{}' is not an ONNX value", w.auto_pad);
  if (w.auto_pad != "NOTSET" && !p.empty() && std::any_of(p.begin(), p.end(), [](int64_t v) { return v != 0; }))
    return make_error(Errc::parse, "auto_pad {} with explicit pads {}", w.auto_pad, dims_str(p));
  return w;
}

// Adds the zero padding a Pad node before this one handed over (Importer::extra_pads).
Status add_extra_pads(const Importer& im, const ::onnx::NodeProto& n, Window& w) {
  auto it = im.extra_pads.find(&n);
  if (it == im.extra_pads.end()) return {};
  if (w.auto_pad != "NOTSET" && w.auto_pad != "VALID")
    return unsupported("attribute 'auto_pad' = '{}' after a Pad node", w.auto_pad);
  const auto& e = it->second;
  w.top += e[0], w.left += e[1], w.bottom += e[2], w.right += e[3];
  for (int64_t v : {w.top, w.left, w.bottom, w.right})
    if (v > INT_MAX) return make_error(Errc::parse, "pads with the Pad node's {} exceed INT_MAX", v);
  return {};
}

// Resolves auto_pad for an input of h x w and checks the kernel size.
Status resolve_pads(Window& w, int64_t h, int64_t wd) {
  if (w.kh <= 0 || w.kw <= 0 || w.kh > INT_MAX || w.kw > INT_MAX)
    return make_error(Errc::parse, "kernel {}x{} is not positive", w.kh, w.kw);
  if (w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER") {
    // Output ceil(in / stride); the padding that needs, the odd one at the end (UPPER) or
    // the beginning (LOWER).
    auto pad = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t& begin, int64_t& end) {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>((out - 1) * s + (k - 1) * d + 1 - in, 0);
      begin = w.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    };
    pad(h, w.kh, w.sh, w.dh, w.top, w.bottom);
    pad(wd, w.kw, w.sw, w.dw, w.left, w.right);
  }
  return {};
}

// Output size of one axis, floor or ceil mode.
int64_t out_size(int64_t in, int64_t pads, int64_t k, int64_t s, int64_t d, bool ceil) {
  const int64_t span = in + pads - ((k - 1) * d + 1);
  if (span < 0) return 0;
  return (ceil ? (span + s - 1) / s : span / s) + 1;
}

// The window as vknn's symmetric padding, or what cannot be expressed.
Status symmetric(const Window& w, int& pad_h, int& pad_w) {
  if (w.top != w.bottom || w.left != w.right)
    return unsupported("attribute 'pads' = [{},{},{},{}]: asymmetric padding is not supported", w.top, w.left,
                       w.bottom, w.right);
  pad_h = int(w.top), pad_w = int(w.left);
  return {};
}

// A pooling window as Pool2dParams: pads [top,left,bottom,right] below the kernel (as ONNX
// Runtime requires), dilations (max pooling only; the caller refuses them for averages).
// ceil_mode follows PyTorch's rule, which drops a last window that would start in the bottom
// or right padding; ONNX's formula before opset 19 keeps it. The two agree unless that
// padding is at least a stride wide, and there the node is refused.
Status pool_window(const Window& w, const std::vector<int64_t>& xs, Pool2dParams& p) {
  if (w.top >= w.kh || w.bottom >= w.kh || w.left >= w.kw || w.right >= w.kw)
    return unsupported("attribute 'pads' = [{},{},{},{}]{}: pads of the kernel ({}x{}) or more are not supported", w.top,
                       w.left, w.bottom, w.right,
                       w.auto_pad == "NOTSET" ? std::string() : fmt::format(" (from auto_pad '{}')", w.auto_pad), w.kh,
                       w.kw);
  if (w.dh > INT_MAX / w.kh || w.dw > INT_MAX / w.kw)
    return make_error(Errc::parse, "dilations [{},{}] with kernel {}x{} exceed INT_MAX", w.dh, w.dw, w.kh, w.kw);
  p.kernel_h = int(w.kh), p.kernel_w = int(w.kw), p.stride_h = int(w.sh), p.stride_w = int(w.sw);
  p.pad_h = int(w.top), p.pad_w = int(w.left);
  if (w.bottom != w.top || w.right != w.left) p.pad_bottom = int(w.bottom), p.pad_right = int(w.right);
  p.dilation_h = int(w.dh), p.dilation_w = int(w.dw);
  p.ceil_mode = w.ceil;
  if (!w.ceil) return {};
  auto out = pool2d_output_shape("pool", p, Shape(xs));
  if (!out.ok()) return {};  // the builder refuses it, naming the shapes
  const int64_t onnx_h = out_size(xs[2], w.top + w.bottom, w.kh, w.sh, w.dh, true);
  const int64_t onnx_w = out_size(xs[3], w.left + w.right, w.kw, w.sw, w.dw, true);
  if ((*out)[2] != onnx_h || (*out)[3] != onnx_w)
    return unsupported("attribute 'ceil_mode' = 1 with pads [{},{},{},{}]: a last window would start in the padding "
                       "(ONNX gives {}x{} outputs, PyTorch {}x{})",
                       w.top, w.left, w.bottom, w.right, onnx_h, onnx_w, (*out)[2], (*out)[3]);
  return {};
}

Status require_rank4(const Importer& im, const ::onnx::NodeProto& n, const char* what) {
  const auto& s = im.shape(n, 0);
  if (s.size() != 4)
    return unsupported("input '{}' {}: only 2-D {} of (N,C,H,W) tensors", n.input(0), dims_str(s), what);
  return {};
}

Status conv(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(Window w, read_window(a, true, false));
  VKNN_ASSIGN(const int64_t group, a.i("group", 1));
  if (group <= 0 || group > INT_MAX) return make_error(Errc::parse, "group {} is not positive", group);
  if (w.dh != 1 || w.dw != 1)
    return unsupported("attribute 'dilations' = [{},{}]: only 1 is supported", w.dh, w.dw);
  if (im.dry) return {};
  VKNN_TRY(require_rank4(im, n, "convolutions"));
  const auto& xs = im.shape(n, 0);
  const auto& ws = im.shape(n, 1);
  if (ws.size() != 4) return make_error(Errc::parse, "weight '{}' {} is not (K,C/G,R,S)", n.input(1), dims_str(ws));
  if (w.kh == 0 && w.kw == 0) w.kh = ws[2], w.kw = ws[3];
  if (w.kh != ws[2] || w.kw != ws[3])
    return make_error(Errc::parse, "kernel_shape [{},{}] disagrees with weight '{}' {}", w.kh, w.kw, n.input(1),
                      dims_str(ws));
  VKNN_TRY(add_extra_pads(im, n, w));
  VKNN_TRY(resolve_pads(w, xs[2], xs[3]));
  Conv2dParams p;
  VKNN_TRY(symmetric(w, p.pad_h, p.pad_w));
  p.stride_h = int(w.sh), p.stride_w = int(w.sw);
  p.groups = int(group);
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
  VKNN_ASSIGN(TensorId weight, im.tensor(n, 1));
  TensorId bias;
  if (im.has_input(n, 2)) {
    VKNN_ASSIGN(bias, im.tensor(n, 2));
  }
  if (im.can_fuse_relu(n)) {
    p.relu = true;
    im.fuse_relu(n);
  }
  im.set_output(n, 0, conv2d(im.g, x, weight, bias, p, im.name(n)));
  return {};
}

// A running statistic: a state tensor under the initializer's name, holding its values.
Result<TensorId> statistic(Importer& im, const ::onnx::NodeProto& n, int k, const char* role) {
  VKNN_ASSIGN(auto t, im.constant(n, k, role));
  if (!t->is_float()) return make_error(Errc::parse, "BatchNormalization {} '{}' is not float", role, n.input(k));
  const std::string& name = im.input(n, k).source.empty() ? n.input(k) : im.input(n, k).source;
  if (auto it = im.parameters.find(name); it != im.parameters.end()) return it->second;
  TensorId id = im.g.state(name, Shape(t->dims), Init::values(t->f));
  if (!id.valid()) return im.g.status().error();
  im.parameters[name] = id;
  return id;
}

Status batchnorm_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const float eps, a.f("epsilon", 1e-5f));
  VKNN_ASSIGN(const float momentum, a.f("momentum", 0.9f));
  // training_mode = 0 or 1, vknn trains the node in the training pass and runs it on its running
  // statistics in the inference pass. Only when the model reads the updated running
  // statistics (outputs 1 and 2, training mode in every opset) is it ONNX's functional
  // training form: batch statistics in every pass, running variance updated with the biased
  // variance, the outputs being the node's statistics after the update (docs/ops.md).
  VKNN_ASSIGN(const int64_t training_mode, a.i("training_mode", 0));
  if (im.opset >= 14 && training_mode != 0 && training_mode != 1)
    return make_error(Errc::parse, "attribute 'training_mode' = {} is not 0 or 1", training_mode);
  auto used = [&](int k) {
    return n.output_size() > k && !n.output(k).empty() &&
           (im.consumers.count(n.output(k)) || im.graph_outputs.count(n.output(k)));
  };
  const bool statistics_out = used(1) || used(2);
  if (statistics_out && im.opset >= 14 && training_mode == 0)
    return make_error(Errc::parse, "outputs 'running_mean' and 'running_var' are read but 'training_mode' is 0");
  if (!(eps > 0) || !std::isfinite(eps)) return make_error(Errc::parse, "epsilon {} is not positive", eps);
  if (!(momentum >= 0 && momentum <= 1)) return make_error(Errc::parse, "momentum {} is outside [0, 1]", momentum);
  if (im.dry) return {};
  const auto& xs = im.shape(n, 0);
  if (xs.size() < 2) return unsupported("input '{}' {}: BatchNormalization needs (N,C,...)", n.input(0), dims_str(xs));
  // (N,C) and (N,C,L,...) normalize per channel over everything else, like (N,C,L*..,1).
  std::vector<int64_t> as = xs;
  if (xs.size() != 4) {
    int64_t rest = 1;
    for (size_t k = 2; k < xs.size(); ++k) rest *= xs[k];
    as = {xs[0], xs[1], rest, 1};
  }
  BatchNormParams p;
  p.eps = eps;
  p.momentum = 1.0f - momentum;  // ONNX: running = running * momentum + batch * (1 - momentum)
  p.batch_statistics_always = p.biased_running_var = statistics_out;
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0, as));
  VKNN_ASSIGN(TensorId gamma, im.tensor(n, 1));
  VKNN_ASSIGN(TensorId beta, im.tensor(n, 2));
  VKNN_ASSIGN(TensorId mean, statistic(im, n, 3, "mean"));
  VKNN_ASSIGN(TensorId var, statistic(im, n, 4, "var"));
  if (im.can_fuse_relu(n)) {
    p.relu = true;
    im.fuse_relu(n);
  }
  TensorId y = batchnorm(im.g, x, gamma, beta, mean, var, im.name(n), p);
  if (!y.valid()) return {};
  im.set_output(n, 0, y, xs);
  if (statistics_out) {
    im.set_output(n, 1, mean);
    im.set_output(n, 2, var);
  }
  return {};
}

Status maxpool_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(Window w, read_window(a, im.opset >= 10, im.opset >= 10));
  VKNN_ASSIGN(const int64_t order, a.i("storage_order", 0));
  if (order != 0) return unsupported("attribute 'storage_order' = {}: only row-major indices", order);
  if (im.dry) return {};
  VKNN_TRY(require_rank4(im, n, "max pooling"));
  const auto& xs = im.shape(n, 0);
  VKNN_TRY(resolve_pads(w, xs[2], xs[3]));
  Pool2dParams p;
  VKNN_TRY(pool_window(w, xs, p));
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
  im.set_output(n, 0, maxpool(im.g, x, p, im.name(n)));
  return {};
}

Status avgpool_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(Window w, read_window(a, false, im.opset >= 10));
  VKNN_ASSIGN(const int64_t include_pad, a.i("count_include_pad", 0));
  if (im.dry) return {};
  VKNN_TRY(require_rank4(im, n, "average pooling"));
  const auto& xs = im.shape(n, 0);
  VKNN_TRY(add_extra_pads(im, n, w));
  VKNN_TRY(resolve_pads(w, xs[2], xs[3]));
  AvgPool2dParams p;
  VKNN_TRY(pool_window(w, xs, p));
  p.count_include_pad = include_pad != 0;
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
  im.set_output(n, 0, avgpool(im.g, x, p, im.name(n)));
  return {};
}

// GlobalMaxPool: a max pooling whose window is the whole image, which the op runs on its
// global shaders (one invocation per plane).
Status global_maxpool_op(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  VKNN_TRY(require_rank4(im, n, "global pooling"));
  const auto& xs = im.shape(n, 0);
  if (xs[2] > INT_MAX || xs[3] > INT_MAX)
    return make_error(Errc::parse, "input '{}' {} is too large to pool", n.input(0), dims_str(xs));
  Pool2dParams p;
  p.kernel_h = int(xs[2]), p.kernel_w = int(xs[3]);
  p.stride_h = p.stride_w = 1;
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
  im.set_output(n, 0, maxpool(im.g, x, p, im.name(n)));
  return {};
}

Status global_avgpool_op(Importer& im, const ::onnx::NodeProto& n, const Attrs&) {
  if (im.dry) return {};
  VKNN_TRY(require_rank4(im, n, "global pooling"));
  const auto& xs = im.shape(n, 0);
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
  // The builder gives (N,C); ONNX keeps (N,C,1,1), the same elements.
  im.set_output(n, 0, global_avgpool(im.g, x, im.name(n)), {xs[0], xs[1], 1, 1});
  return {};
}

// ReduceMean over H and W of an (N,C,H,W) tensor: global average pooling, (N,C) or
// (N,C,1,1) with keepdims. Axes are an attribute before opset 18 and an input from 18 on.
Status reduce_mean_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const int64_t keepdims, a.i("keepdims", 1));
  std::vector<int64_t> axes;
  if (im.opset < 18) {
    VKNN_ASSIGN(axes, a.ints("axes"));
  } else {
    VKNN_ASSIGN(const int64_t noop, a.i("noop_with_empty_axes", 0));
    if (noop != 0) return unsupported("attribute 'noop_with_empty_axes' = {}: only 0 is supported", noop);
  }
  if (im.dry) return {};
  if (im.opset >= 18 && im.has_input(n, 1)) {
    VKNN_ASSIGN(auto t, im.constant(n, 1, "axes"));
    if (t->is_float()) return make_error(Errc::parse, "ReduceMean axes '{}' are not integer", n.input(1));
    axes = t->i;
  }
  const Value& v = im.input(n, 0);
  const auto rank = int64_t(v.shape.size());
  if (v.constant) return unsupported("ReduceMean of a value known at import is not supported");
  std::vector<int64_t> norm;
  for (int64_t ax : axes) {
    VKNN_ASSIGN(const int64_t k, normalize_axis(ax, rank, "ReduceMean axis"));
    norm.push_back(k);
  }
  std::sort(norm.begin(), norm.end());
  if (rank != 4 || norm != std::vector<int64_t>{2, 3})
    return unsupported("axes {} of input '{}' {}: only H and W of an (N,C,H,W) tensor are supported",
                       dims_str(axes.empty() ? std::vector<int64_t>{} : axes), n.input(0), dims_str(v.shape));
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
  std::vector<int64_t> out = {v.shape[0], v.shape[1]};
  if (keepdims != 0) out = {v.shape[0], v.shape[1], 1, 1};
  im.set_output(n, 0, global_avgpool(im.g, x, im.name(n)), out);
  return {};
}

Status lrn_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  VKNN_ASSIGN(const float alpha, a.f("alpha", 1e-4f));
  VKNN_ASSIGN(const float beta, a.f("beta", 0.75f));
  VKNN_ASSIGN(const float bias, a.f("bias", 1.0f));
  VKNN_ASSIGN(const int64_t size, a.i("size", 0));
  if (size <= 0 || size > INT_MAX) return make_error(Errc::parse, "attribute 'size' = {} is not positive", size);
  if (size % 2 == 0) return unsupported("attribute 'size' = {}: only odd window sizes are supported", size);
  if (!(alpha >= 0) || !(bias > 0)) return unsupported("alpha {} and bias {}: alpha >= 0 and bias > 0", alpha, bias);
  if (im.dry) return {};
  VKNN_TRY(require_rank4(im, n, "LRN"));
  LrnParams p;
  p.size = int(size);
  p.alpha = alpha / float(size);  // ONNX divides alpha by size; vknn uses the paper's undivided alpha
  p.beta = beta;
  p.k = bias;
  VKNN_ASSIGN(TensorId x, im.tensor(n, 0));
  im.set_output(n, 0, lrn(im.g, x, p, im.name(n)));
  return {};
}

// Dropout: trains with vknn's own masks (vknn/ops/dropout.h) where the file asks for
// training; the identity otherwise, and always in the inference pass.
Status dropout_op(Importer& im, const ::onnx::NodeProto& n, const Attrs& a) {
  float ratio = 0.5f;
  if (im.opset < 12) {
    VKNN_ASSIGN(ratio, a.f("ratio", 0.5f));
  }
  if (im.opset >= 12) VKNN_TRY(a.i("seed", 0));  // vknn draws from the run's seed
  if (im.dry) return {};
  bool training = im.opset < 12;  // before 12 the runtime chose; from 12 on the file says
  if (im.opset >= 12) {
    if (im.has_input(n, 1)) {
      VKNN_ASSIGN(auto r, im.constant(n, 1, "ratio"));
      if (r->numel() != 1 || !r->is_float()) return make_error(Errc::parse, "Dropout ratio is not a float scalar");
      ratio = float(r->at(0));
    }
    if (im.has_input(n, 2)) {
      VKNN_ASSIGN(auto t, im.constant(n, 2, "training_mode"));
      if (t->numel() != 1) return make_error(Errc::parse, "Dropout training_mode is not a scalar");
      training = t->at(0) != 0;
    } else {
      training = false;
    }
  }
  if (!(ratio >= 0 && ratio < 1)) return unsupported("ratio {}: only [0, 1) is supported", ratio);
  const Value& v = im.input(n, 0);
  if (!training || ratio == 0) {
    im.alias_output(n, 0, v);
    return {};
  }
  VKNN_ASSIGN(TensorId x, im.raw_tensor(n, 0));
  TensorId y = dropout(im.g, x, ratio, im.name(n));
  if (y.valid()) im.set_output(n, 0, y, v.shape);
  return {};
}

}  // namespace

void register_nn_ops(std::unordered_map<std::string, Converter>& t) {
  t["Conv"] = conv;
  t["BatchNormalization"] = batchnorm_op;
  t["MaxPool"] = maxpool_op;
  t["AveragePool"] = avgpool_op;
  t["GlobalAveragePool"] = global_avgpool_op;
  t["GlobalMaxPool"] = global_maxpool_op;
  t["ReduceMean"] = reduce_mean_op;
  t["LRN"] = lrn_op;
  t["Dropout"] = dropout_op;
}

}  // namespace vknn::onnx
