// ONNX export of each vknn op kind (see vknn/onnx/export.h): the inverse of the importer's
// converters (ops_*.cpp), written with ops the importer reads back.
#include "export_writer.h"

#include "vknn/graph/placement.h"
#include "vknn/ops/activation.h"
#include "vknn/ops/add.h"
#include "vknn/ops/avgpool.h"
#include "vknn/ops/batchnorm.h"
#include "vknn/ops/binary.h"
#include "vknn/ops/channel_pad.h"
#include "vknn/ops/channel_shuffle.h"
#include "vknn/ops/concat.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/dropout.h"
#include "vknn/ops/linear.h"
#include "vknn/ops/lrn.h"
#include "vknn/ops/matmul.h"
#include "vknn/ops/maxpool.h"
#include "vknn/ops/pad.h"
#include "vknn/ops/relu.h"
#include "vknn/ops/reshape.h"
#include "vknn/ops/softmax.h"

#include <cmath>

namespace vknn::onnx {
namespace {

template <class... Args>
Error unsupported(fmt::format_string<Args...> f, Args&&... args) {
  return make_error(Errc::unsupported, f, std::forward<Args>(args)...);
}

// An op whose vknn node fuses a ReLU (and a residual) into its epilogue writes a fresh value
// that the following Add and Relu nodes turn into the node's output y.
struct Epilogue {
  Writer& w;
  const Node& n;
  std::string y;        // the node's output value
  std::string current;  // what the op itself writes
  bool residual, relu;

  Epilogue(Writer& writer, const Node& node, bool has_residual, bool has_relu)
      : w(writer), n(node), y(writer.value(node.outputs[0])), residual(has_residual), relu(has_relu) {
    current = residual || relu ? w.fresh(y + (residual ? "_conv" : "_prerelu")) : y;
  }
  // After the op's node: y = relu(current + residual).
  void finish(const std::string& residual_value = {}) {
    if (residual) {
      const std::string sum = relu ? w.fresh(y + "_prerelu") : y;
      w.node("Add", n.name + "_residual", {current, residual_value}, {sum});
      current = sum;
    }
    if (relu) w.node("Relu", n.name + "_relu", {current}, {y});
  }
};

void window(::onnx::NodeProto& o, int kh, int kw, int sh, int sw, int ph, int pw) {
  attr_ints(o, "kernel_shape", {kh, kw});
  attr_ints(o, "strides", {sh, sw});
  attr_ints(o, "pads", {ph, pw, ph, pw});
}

Status conv(Writer& w, const Node& n, const Conv2dParams& p) {
  const bool residual = conv2d_has_residual(n);
  const size_t weights = n.inputs.size() - (residual ? 1 : 0);  // x, w[, bias]
  const Shape& ws = w.graph().shape(n.inputs[1]);  // (K, C/G, R, S)
  std::vector<std::string> in = {w.value(n.inputs[0]), w.value(n.inputs[1])};
  if (weights == 3) in.push_back(w.value(n.inputs[2]));
  Epilogue e(w, n, residual, p.relu);
  ::onnx::NodeProto& o = w.node("Conv", n.name, in, {e.current});
  window(o, int(ws[2]), int(ws[3]), p.stride_h, p.stride_w, p.pad_h, p.pad_w);
  attr_i(o, "group", p.groups);
  e.finish(residual ? w.value(n.inputs.back()) : std::string());
  return {};
}

Status batchnorm_node(Writer& w, const Node& n, const BatchNormParams& p) {
  // inputs x, gamma, beta[, the synchronized statistics]; outputs y, save_mean, save_invstd,
  // running_mean, running_var. Inference reads the running statistics.
  if (p.batch_statistics_always)
    return make_error(Errc::unsupported,
                      "batchnorm on batch statistics in every pass (ONNX's training form): the file would hold an "
                      "inference graph, which reads the running statistics");
  Epilogue e(w, n, false, p.relu);
  ::onnx::NodeProto& o = w.node("BatchNormalization", n.name,
                                {w.value(n.inputs[0]), w.value(n.inputs[1]), w.value(n.inputs[2]),
                                 w.value(n.outputs[3]), w.value(n.outputs[4])},
                                {e.current});
  attr_f(o, "epsilon", p.eps);
  attr_f(o, "momentum", 1.0f - p.momentum);  // ONNX: running = running * momentum + batch * (1 - momentum)
  e.finish();
  return {};
}

Status activation_node(Writer& w, const Node& n, const ActivationParams& p) {
  const std::string x = w.value(n.inputs[0]), y = w.value(n.outputs[0]);
  switch (p.kind) {
    case ActivationKind::sigmoid: w.node("Sigmoid", n.name, {x}, {y}); return {};
    case ActivationKind::tanh: w.node("Tanh", n.name, {x}, {y}); return {};
    case ActivationKind::hardswish: w.node("HardSwish", n.name, {x}, {y}); return {};
    case ActivationKind::hardsigmoid: {
      ::onnx::NodeProto& o = w.node("HardSigmoid", n.name, {x}, {y});
      attr_f(o, "alpha", p.alpha);
      attr_f(o, "beta", p.beta);
      return {};
    }
    case ActivationKind::leaky_relu: {
      ::onnx::NodeProto& o = w.node("LeakyRelu", n.name, {x}, {y});
      attr_f(o, "alpha", p.alpha);
      return {};
    }
    case ActivationKind::silu: {  // ONNX has no SiLU: x * sigmoid(x), as PyTorch exports it
      const std::string s = w.fresh(y + "_sigmoid");
      w.node("Sigmoid", n.name + "_sigmoid", {x}, {s});
      w.node("Mul", n.name, {x, s}, {y});
      return {};
    }
    case ActivationKind::clip: {  // bounds are scalar inputs from opset 11; an infinite one is left out
      auto bound = [&](float v, const char* what) -> std::string {
        if (std::isinf(v)) return {};
        const float value[1] = {v};
        return w.floats(n.name + "_" + what, {}, value);
      };
      const std::string lo = bound(p.alpha, "min"), hi = bound(p.beta, "max");
      std::vector<std::string> in = {x};
      if (!lo.empty() || !hi.empty()) in.push_back(lo);  // "" leaves an optional input out
      if (!hi.empty()) in.push_back(hi);
      w.node("Clip", n.name, in, {y});
      return {};
    }
  }
  return unsupported("activation kind {} has no ONNX form", uint32_t(p.kind));
}

// MaxPool or AveragePool with pads [top, left, bottom, right] and dilations where not 1; a
// max pooling whose window is the whole unpadded image is GlobalMaxPool (the importer's form).
Status pool(Writer& w, const Node& n, const Pool2dParams& p, const char* op, const AvgPool2dParams* avg) {
  const Shape& xs = w.graph().shape(n.inputs[0]);  // (N,C,H,W)
  const bool unpadded = p.pad_h == 0 && p.pad_w == 0 && p.pad_end_h() == 0 && p.pad_end_w() == 0;
  const bool undilated = p.dilation_h == 1 && p.dilation_w == 1;
  if (!avg && unpadded && undilated && p.kernel_h == xs[2] && p.kernel_w == xs[3]) {
    w.node("GlobalMaxPool", n.name, {w.value(n.inputs[0])}, {w.value(n.outputs[0])});
    return {};
  }
  ::onnx::NodeProto& o = w.node(op, n.name, {w.value(n.inputs[0])}, {w.value(n.outputs[0])});
  attr_ints(o, "kernel_shape", {p.kernel_h, p.kernel_w});
  attr_ints(o, "strides", {p.stride_h, p.stride_w});
  attr_ints(o, "pads", {p.pad_h, p.pad_w, p.pad_end_h(), p.pad_end_w()});
  if (!undilated) attr_ints(o, "dilations", {p.dilation_h, p.dilation_w});
  if (p.ceil_mode) attr_i(o, "ceil_mode", 1);
  if (avg) attr_i(o, "count_include_pad", avg->count_include_pad ? 1 : 0);
  return {};
}

Status lrn_node(Writer& w, const Node& n, const LrnParams& p) {
  ::onnx::NodeProto& o = w.node("LRN", n.name, {w.value(n.inputs[0])}, {w.value(n.outputs[0])});
  attr_i(o, "size", p.size);
  attr_f(o, "alpha", p.alpha * float(p.size));  // ONNX divides alpha by size; vknn's is the paper's undivided one
  attr_f(o, "beta", p.beta);
  attr_f(o, "bias", p.k);
  return {};
}

Status linear_node(Writer& w, const Node& n, const LinearParams& p) {
  // x (N,IN), weight (OUT,IN)[, bias (OUT)]: Gemm with transB.
  std::vector<std::string> in;
  for (TensorId t : n.inputs) in.push_back(w.value(t));
  Epilogue e(w, n, false, p.relu);
  ::onnx::NodeProto& o = w.node("Gemm", n.name, in, {e.current});
  attr_i(o, "transB", 1);
  e.finish();
  return {};
}

Status matmul_node(Writer& w, const Node& n, const MatmulNodeParams& p) {
  // y = alpha * op(a)·op(b) (+ beta * c): MatMul when plain; Gemm (2-D only) for transposes,
  // alpha or c; a batched product with alpha as MatMul then Mul.
  std::vector<std::string> in;
  for (TensorId t : n.inputs) in.push_back(w.value(t));
  const std::string y = w.value(n.outputs[0]);
  const bool has_c = n.inputs.size() == 3;
  const bool matrices = w.graph().shape(n.inputs[0]).rank() == 2 && w.graph().shape(n.inputs[1]).rank() == 2;
  if (!p.trans_a && !p.trans_b && p.alpha == 1.0f && !has_c) {
    w.node("MatMul", n.name, in, {y});
  } else if (matrices) {
    ::onnx::NodeProto& o = w.node("Gemm", n.name, in, {y});
    if (p.trans_a) attr_i(o, "transA", 1);
    if (p.trans_b) attr_i(o, "transB", 1);
    if (p.alpha != 1.0f) attr_f(o, "alpha", p.alpha);
    if (has_c && p.beta != 1.0f) attr_f(o, "beta", p.beta);
  } else if (!p.trans_a && !p.trans_b) {  // c comes with 2-D operands only
    const std::string product = w.fresh(y + "_product");
    w.node("MatMul", n.name, in, {product});
    const float alpha[] = {p.alpha};
    w.node("Mul", n.name + "_alpha", {product, w.floats(n.name + "_alpha", {1}, alpha)}, {y});
  } else {
    return unsupported("a batched matmul with a transposed operand has no MatMul or Gemm form");
  }
  return {};
}

Status reshape_node(Writer& w, const Node& n) {
  const Shape& xs = w.graph().shape(n.inputs[0]);
  const Shape& ys = w.graph().shape(n.outputs[0]);
  std::vector<int64_t> dims = ys.dims;
  // 0 copies the input's first dimension, so the file runs at any batch.
  if (xs.rank() > 0 && ys.rank() > 0 && xs[0] == ys[0])
    dims[0] = 0;
  else
    w.fix_batch();
  const std::string shape = w.ints(n.name + "_shape", dims);
  w.node("Reshape", n.name, {w.value(n.inputs[0]), shape}, {w.value(n.outputs[0])});
  return {};
}

// (N,C,...) in g groups -> Reshape (N,g,C/g,...) -> Transpose(0,2,1,...) -> Reshape (N,C,...),
// ShuffleNet's form, which the importer reads as a channel shuffle.
Status channel_shuffle_node(Writer& w, const Node& n, const ChannelShuffleParams& p) {
  const Shape& xs = w.graph().shape(n.inputs[0]);
  if (xs.rank() < 2) return unsupported("input {} has no channel axis", xs.str());
  std::vector<int64_t> split = {0, p.groups, xs[1] / p.groups}, back = {0, xs[1]}, perm = {0, 2, 1};
  for (size_t k = 2; k < xs.dims.size(); ++k) {
    split.push_back(xs[k]);
    back.push_back(xs[k]);
    perm.push_back(int64_t(k) + 1);
  }
  const std::string y = w.value(n.outputs[0]);
  const std::string a = w.fresh(y + "_groups"), b = w.fresh(y + "_swapped");
  w.node("Reshape", n.name + "_groups", {w.value(n.inputs[0]), w.ints(n.name + "_groups_shape", split)}, {a});
  attr_ints(w.node("Transpose", n.name, {a}, {b}), "perm", perm);
  w.node("Reshape", n.name + "_channels", {b, w.ints(n.name + "_channels_shape", back)}, {y});
  return {};
}

// y[n,c] = x[n, c - offset, h*stride, w*stride] for offset <= c < offset + C, else 0: a 1x1
// convolution of that stride whose constant weight (CO,C,1,1) is 1 where k = c + offset. Exact
// (each output is one product by 1 plus zeros), and made of ops the importer reads.
Status channel_pad_node(Writer& w, const Node& n, const ChannelPadParams& p) {
  const Shape& xs = w.graph().shape(n.inputs[0]);
  if (xs.rank() != 4) return unsupported("input {} is not (N,C,H,W)", xs.str());
  const int64_t c = xs[1], co = p.out_channels;
  std::vector<float> select(size_t(co * c), 0.0f);  // (CO, C, 1, 1)
  for (int64_t k = 0; k < c; ++k) select[size_t((k + p.channel_offset) * c + k)] = 1.0f;
  const std::string weight = w.floats(n.name + "_select", {co, c, 1, 1}, select);
  ::onnx::NodeProto& o = w.node("Conv", n.name, {w.value(n.inputs[0]), weight}, {w.value(n.outputs[0])});
  window(o, 1, 1, p.stride, p.stride, 0, 0);
  return {};
}

// ONNX Pad (mode constant; opset 11 on, pads and the value as inputs): pads (N,C,H,W) as
// [N, C, H, W begins, N, C, H, W ends]; a negative count crops, as in vknn.
Status pad_node(Writer& w, const Node& n, const PadParams& p) {
  std::vector<int64_t> pads = {0, p.begin[0], p.begin[1], p.begin[2], 0, p.end[0], p.end[1], p.end[2]};
  const std::string value = w.floats(n.name + "_value", {}, std::span(&p.value, 1));
  w.node("Pad", n.name, {w.value(n.inputs[0]), w.ints(n.name + "_pads", pads), value}, {w.value(n.outputs[0])});
  return {};
}

Status concat_node(Writer& w, const Node& n) {
  std::vector<std::string> in;
  for (TensorId t : n.inputs) in.push_back(w.value(t));
  attr_i(w.node("Concat", n.name, in, {w.value(n.outputs[0])}), "axis", 1);
  return {};
}

Status split_node(Writer& w, const Node& n) {
  std::vector<int64_t> sizes;
  std::vector<std::string> out;
  for (TensorId t : n.outputs) {
    sizes.push_back(w.graph().shape(t)[1]);
    out.push_back(w.value(t));
  }
  const std::string split = w.ints(n.name + "_sizes", sizes);
  attr_i(w.node("Split", n.name, {w.value(n.inputs[0]), split}, out), "axis", 1);
  return {};
}

const char* binary_onnx(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return "Add";
    case BinaryOp::sub: return "Sub";
    case BinaryOp::mul: return "Mul";
    case BinaryOp::div: return "Div";
  }
  return "Add";
}


// Softmax or LogSoftmax at the export's opset (13 on: over the one axis). The flattened form of
// earlier opsets, over every axis from `axis` on, is a Flatten to 2-D at `axis`, the op over
// its last axis, and a Reshape back.
Status softmax_node(Writer& w, const Node& n, const SoftmaxParams& p) {
  const char* op = p.log ? "LogSoftmax" : "Softmax";
  const Shape& xs = w.graph().shape(n.inputs[0]);
  const auto rank = int64_t(xs.rank());
  const int64_t axis = p.axis < 0 ? p.axis + rank : p.axis;
  const std::string x = w.value(n.inputs[0]), y = w.value(n.outputs[0]);
  if (!p.flatten || axis == rank - 1) {
    attr_i(w.node(op, n.name, {x}, {y}), "axis", axis);
    return {};
  }
  const std::string flat = w.fresh(y + "_2d"), flat_y = w.fresh(y + "_2d_out");
  attr_i(w.node("Flatten", n.name + "_flatten", {x}, {flat}), "axis", axis);
  attr_i(w.node(op, n.name, {flat}, {flat_y}), "axis", 1);
  std::vector<int64_t> dims = xs.dims;
  // 0 copies the flattened tensor's first dimension, the batch when axis is 1.
  if (axis == 1)
    dims[0] = 0;
  else
    w.fix_batch();
  w.node("Reshape", n.name + "_reshape", {flat_y, w.ints(n.name + "_shape", dims)}, {y});
  return {};
}

}  // namespace

Status convert_node(Writer& w, const Node& n) {
  auto in = [&](size_t k) { return w.value(n.inputs[k]); };
  auto out = [&](size_t k) { return w.value(n.outputs[k]); };
  if (const Conv2dParams* p = conv2d_params(n)) return conv(w, n, *p);
  if (const BatchNormParams* p = batchnorm_params(n)) return batchnorm_node(w, n, *p);
  if (is_relu(n)) {
    w.node("Relu", n.name, {in(0)}, {out(0)});
    return {};
  }
  if (is_add(n)) {
    w.node("Add", n.name, {in(0), in(1)}, {out(0)});
    return {};
  }
  if (auto op = binary_op(n)) {
    w.node(binary_onnx(*op), n.name, {in(0), in(1)}, {out(0)});
    return {};
  }
  if (const ActivationParams* p = activation_params(n)) return activation_node(w, n, *p);
  if (const Pool2dParams* p = maxpool_params(n)) return pool(w, n, *p, "MaxPool", nullptr);
  if (const AvgPool2dParams* p = avgpool_params(n)) return pool(w, n, *p, "AveragePool", p);
  if (is_global_avgpool(n)) {  // (N,C,H,W) -> (N,C)
    ::onnx::NodeProto& o = w.node("ReduceMean", n.name, {in(0)}, {out(0)});
    attr_ints(o, "axes", {2, 3});
    attr_i(o, "keepdims", 0);
    return {};
  }
  if (const LrnParams* p = lrn_params(n)) return lrn_node(w, n, *p);
  if (const LinearParams* p = linear_params(n)) return linear_node(w, n, *p);
  if (const MatmulNodeParams* p = matmul_params(n)) return matmul_node(w, n, *p);
  if (is_reshape(n)) return reshape_node(w, n);
  // The identity at inference (dropout), and a copy between targets (a placed graph's edge
  // between devices or queues: ONNX has one device).
  if (is_dropout(n) || as_transfer(n)) {
    w.alias(n.outputs[0], n.inputs[0], n.name);
    return {};
  }
  if (is_concat(n)) return concat_node(w, n);
  if (is_split(n)) return split_node(w, n);
  if (const ChannelShuffleParams* p = channel_shuffle_params(n)) return channel_shuffle_node(w, n, *p);
  if (const ChannelPadParams* p = channel_pad_params(n)) return channel_pad_node(w, n, *p);
  if (const PadParams* p = pad_params(n)) return pad_node(w, n, *p);
  if (const SoftmaxParams* p = softmax_params(n)) return softmax_node(w, n, *p);
  return unsupported("no ONNX form for this kind of node");
}

}  // namespace vknn::onnx
