#include "vknn/ops/concat.h"

#include <cstring>

#include "vknn/ops/add.h"

namespace vknn {
namespace {

struct ConcatPush {  // mirrors shaders/common/concat_push.glsl
  uint32_t rows, cols, src_stride, dst_stride, src_offset, dst_offset, flags;
};
static_assert(sizeof(ConcatPush) == 28);

constexpr uint32_t kAccumulate = 1;


// Rank >= 2, positive, fits one binding.
Status check_tensor(const char* op, const std::string& name, const TensorView& t, const CommandList& cl) {
  if (t.shape.rank() < 2)
    return make_error(Errc::invalid_argument, "{}: {} must have rank >= 2 (channels are dim 1), got shape {}", op, name,
                      t.str());
  VKNN_TRY(check_positive(op, name.c_str(), t));
  if (uint64_t(t.numel()) > detail::max_binding_floats(cl.context()))
    return make_error(Errc::invalid_argument, "{}: {} {} is larger than one storage-buffer binding", op, name, t.str());
  return {};
}

// Every dim but 1 agrees.
bool same_but_channels(const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) return false;
  for (size_t i = 0; i < a.rank(); ++i)
    if (i != 1 && a[i] != b[i]) return false;
  return true;
}

// Elements per channel: the product of dims 2.. (H*W).
uint32_t inner(const Shape& s) {
  int64_t n = 1;
  for (size_t i = 2; i < s.rank(); ++i) n *= s[i];
  return uint32_t(n);
}

// The copy itself, after the checks.
void copy_channels(CommandList& cl, const TensorView& src, int64_t src_channel, const TensorView& dst,
                   int64_t dst_channel, int64_t channels, bool accumulate) {
  const uint32_t hw = inner(src.shape);
  const ConcatPush push{uint32_t(src.shape[0]),
                        uint32_t(channels) * hw,
                        uint32_t(src.shape[1]) * hw,
                        uint32_t(dst.shape[1]) * hw,
                        uint32_t(src_channel) * hw,
                        uint32_t(dst_channel) * hw,
                        accumulate ? kAccumulate : 0u};
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  cl.dispatch(ShaderId::concat_copy, spec,
              {{range(src), Access::read}, {range(dst), accumulate ? Access::read_write : Access::write}},
              push, groups_for(push.cols, spec[0]), push.rows);
}

std::string shapes(std::span<const TensorView> ts) {
  std::string s;
  for (const auto& t : ts) s += (s.empty() ? "" : ", ") + t.str();
  return s;
}

// Checks the big tensor against the parts (concat's inputs or split's outputs).
Status check_parts(const char* op, const char* big_name, const TensorView& big, const char* part_name,
                   std::span<const TensorView> parts, const CommandList& cl) {
  VKNN_TRY(check_tensor(op, big_name, big, cl));
  if (parts.empty()) return make_error(Errc::invalid_argument, "{}: no {}s ({} {})", op, part_name, big_name, big.str());
  int64_t channels = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string name = fmt::format("{} {}", part_name, i);
    VKNN_TRY(check_tensor(op, name, parts[i], cl));
    if (!same_but_channels(parts[i].shape, big.shape))
      return make_error(Errc::invalid_argument,
                        "{}: {} has shape {}, which differs from {} {} in a dim other than 1 (channels); {}s: {}", op,
                        name, parts[i].str(), big_name, big.str(), part_name, shapes(parts));
    if (range(parts[i]).overlaps(range(big)))
      return make_error(Errc::invalid_argument, "{}: {} {} overlaps {} {}", op, name, parts[i].str(), big_name, big.str());
    channels += parts[i].shape[1];
  }
  if (channels != big.shape[1])
    return make_error(Errc::invalid_argument, "{}: {}s ({}) have {} channels in all, {} {} has {}", op, part_name,
                      shapes(parts), channels, big_name, big.str(), big.shape[1]);
  return {};
}

}  // namespace

Status record_concat(CommandList& cl, std::span<const TensorView> inputs, const TensorView& y, bool accumulate) {
  VKNN_TRY(check_parts("concat", "y", y, "input", inputs, cl));
  int64_t c = 0;
  for (const auto& in : inputs) {
    copy_channels(cl, in, 0, y, c, in.shape[1], accumulate);
    c += in.shape[1];
  }
  return {};
}

Status record_split(CommandList& cl, const TensorView& x, std::span<const TensorView> outputs,
                    const std::vector<bool>& accumulate) {
  VKNN_TRY(check_parts("split", "x", x, "output", outputs, cl));
  if (!accumulate.empty() && accumulate.size() != outputs.size())
    return make_error(Errc::invalid_argument, "split: {} accumulate flags for {} outputs ({}), x {}", accumulate.size(),
                      outputs.size(), shapes(outputs), x.str());
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (range(outputs[i]).overlaps(range(outputs[j])))
        return make_error(Errc::invalid_argument, "split: outputs {} {} and {} {} overlap", j, outputs[j].str(), i,
                          outputs[i].str());
  int64_t c = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    copy_channels(cl, x, c, outputs[i], 0, outputs[i].shape[1], !accumulate.empty() && accumulate[i]);
    c += outputs[i].shape[1];
  }
  return {};
}

Status record_copy_channels(CommandList& cl, const TensorView& src, int64_t src_channel, const TensorView& dst,
                            int64_t dst_channel, int64_t channels, bool accumulate) {
  constexpr const char* op = "copy_channels";
  VKNN_TRY(check_tensor(op, "src", src, cl));
  VKNN_TRY(check_tensor(op, "dst", dst, cl));
  if (!same_but_channels(src.shape, dst.shape))
    return make_error(Errc::invalid_argument, "{}: src {} and dst {} differ in a dim other than 1 (channels)", op,
                      src.str(), dst.str());
  if (channels <= 0 || src_channel < 0 || dst_channel < 0 || src_channel + channels > src.shape[1] ||
      dst_channel + channels > dst.shape[1])
    return make_error(Errc::invalid_argument, "{}: channels [{}, +{}) of src {} into [{}, +{}) of dst {} out of range",
                      op, src_channel, channels, src.str(), dst_channel, channels, dst.str());
  if (range(src).overlaps(range(dst)))
    return make_error(Errc::invalid_argument, "{}: src {} and dst {} overlap", op, src.str(), dst.str());
  copy_channels(cl, src, src_channel, dst, dst_channel, channels, accumulate);
  return {};
}

// ---------------------------------------------------------------------------- graph nodes

namespace {

struct ConcatNode final : OpNode {
  std::vector<bool> accumulate;  // used when this node is a split acting as concat's backward
  bool is_split = false;
  const char* type() const override { return is_split ? "split" : "concat"; }
  Status record(CommandList& cl, const NodeIO& io) const override {
    if (is_split) return record_split(cl, io.in[0], io.out, accumulate);
    return record_concat(cl, io.in, io.out[0], !accumulate.empty() && accumulate[0]);
  }
  Status backward(BackwardBuilder& b) const override {
    if (!is_split) {  // concat's backward is a split of dy into the inputs that need it
      if (!b.grad_output(0).valid()) return {};
      std::vector<TensorId> outs;
      auto node = std::make_shared<ConcatNode>();
      node->is_split = true;
      for (size_t i = 0; i < b.node().inputs.size(); ++i) {
        if (b.needs_grad(i)) {
          auto t = b.grad_input(i);
          outs.push_back(t.tensor);
          node->accumulate.push_back(t.accumulate);
        } else {  // a part nobody needs still takes its channels
          outs.push_back(b.temp("unused", b.graph().shape(b.input(i))));
          node->accumulate.push_back(false);
        }
      }
      b.add_node("", node, {b.grad_output(0)}, outs);
      return {};
    }
    // split's backward is a concat of the parts' gradients (zeros where a part has none)
    std::vector<TensorId> parts;
    for (size_t i = 0; i < b.node().outputs.size(); ++i) {
      TensorId g = b.grad_output(i);
      if (!g.valid()) {
        g = b.temp("zero", b.graph().shape(b.output(i)));
        b.add_node("zero", make_fill_node(0.0f), {}, {g});
      }
      parts.push_back(g);
    }
    auto target = b.grad_input(0);
    auto node = std::make_shared<ConcatNode>();
    node->accumulate = {target.accumulate};
    b.add_node("", node, parts, {target.tensor});
    return {};
  }
};

struct FillNode final : OpNode {
  float value = 0;
  const char* type() const override { return "fill"; }
  Status record(CommandList& cl, const NodeIO& io) const override {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    cl.fill(io.out[0].buffer.sub(0, io.out[0].shape.bytes()), bits);
    return {};
  }
};

}  // namespace

std::shared_ptr<const OpNode> make_fill_node(float value) {
  auto n = std::make_shared<FillNode>();
  n->value = value;
  return n;
}

TensorId concat(Graph& g, const std::vector<TensorId>& inputs, const std::string& name) {
  if (!g.ok()) return {};
  VKNN_GRAPH_CHECK(g, !inputs.empty(), "concat '{}': no inputs", name);
  for (TensorId t : inputs)
    if (!g.accepts({t}, name)) return {};
  Shape s = g.shape(inputs[0]);
  VKNN_GRAPH_CHECK(g, s.rank() == 4, "concat '{}': '{}' must be (N,C,H,W), got {}", name, g.desc(inputs[0]).name, s.str());
  int64_t channels = 0;
  for (TensorId t : inputs) {
    const Shape& ts = g.shape(t);
    VKNN_GRAPH_CHECK(g, ts.rank() == 4 && ts[0] == s[0] && ts[2] == s[2] && ts[3] == s[3],
                     "concat '{}': '{}' {} does not match '{}' {} outside the channels", name, g.desc(t).name,
                     ts.str(), g.desc(inputs[0]).name, s.str());
    channels += ts[1];
  }
  s.dims[1] = channels;
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, s, Role::activation);
  g.add_node(n, std::make_shared<ConcatNode>(), inputs, {y});
  return y;
}

std::vector<TensorId> split(Graph& g, TensorId x, const std::vector<int64_t>& channels, const std::string& name) {
  if (!g.accepts({x}, name)) return {};
  const Shape& s = g.shape(x);
  int64_t total = 0;
  for (int64_t c : channels) total += c;
  VKNN_GRAPH_CHECK(g, s.rank() == 4 && total == s[1], "split '{}': channels summing to {} do not split '{}' {}", name,
                   total, g.desc(x).name, s.str());
  const std::string n = g.unique_name(name);
  std::vector<TensorId> outs;
  for (size_t i = 0; i < channels.size(); ++i)
    outs.push_back(g.tensor(fmt::format("{}.{}", n, i), Shape{s[0], channels[i], s[2], s[3]}, Role::activation));
  auto node = std::make_shared<ConcatNode>();
  node->is_split = true;
  g.add_node(n, node, {x}, outs);
  return outs;
}

bool is_concat(const Node& n) {
  const auto* c = dynamic_cast<const ConcatNode*>(n.op.get());
  return c && !c->is_split;
}

bool is_split(const Node& n) {
  const auto* c = dynamic_cast<const ConcatNode*>(n.op.get());
  return c && c->is_split;
}

}  // namespace vknn
