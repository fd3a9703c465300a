#include "vknn/ops/add.h"

#include <algorithm>
#include <cmath>

namespace vknn {
namespace {

struct AddPush {  // mirrors shaders/common/add_push.glsl
  uint32_t count, flags;
  float alpha;
};
static_assert(sizeof(AddPush) == 12);

constexpr uint32_t kAccumulateA = 1, kAccumulateB = 2, kWriteA = 4, kWriteB = 8;

using detail::partial_overlap;
using detail::present;

using detail::for_each_chunk;
BufferRef part(const TensorView& t, uint64_t first, uint32_t count) { return detail::chunk_of(t, first, count); }
Status check_size(const char* op, const TensorView& t) { return detail::check_elements(op, "the tensor", t); }

}  // namespace

namespace detail {

uint64_t max_binding_floats(const Context& ctx) {
  const uint64_t range = ctx.caps().max_storage_buffer_range;
  const uint64_t floats = (range ? range : (uint64_t(1) << 27)) / 4;
  return std::max<uint64_t>(128, floats / 128 * 128);
}

Status check_elements(const char* op, const char* name, const TensorView& t) {
  if (uint64_t(t.numel()) > UINT32_MAX)
    return make_error(Errc::invalid_argument, "{}: {} {} has more than 2^32-1 elements", op, name, t.str());
  return {};
}

Status check_one_binding(const char* op, const char* name, const TensorView& t, const Context& ctx) {
  VKNN_TRY(check_elements(op, name, t));
  if (uint64_t(t.numel()) > max_binding_floats(ctx))
    return make_error(Errc::invalid_argument, "{}: {} {} is larger than one storage-buffer binding", op, name, t.str());
  return {};
}

Result<bool> half_storage(const char* op, const Context& ctx,
                          std::initializer_list<std::pair<const char*, const TensorView*>> tensors) {
  const DType want = tensors.begin()->second->dtype;
  for (const auto& [name, t] : tensors)
    if (t) VKNN_TRY(check_dtype(op, name, *t, want == DType::f16 ? DType::f16 : DType::f32));
  if (want == DType::f16 && !ctx.caps().storage_buffer_16bit)
    return make_error(Errc::unsupported, "{}: fp16 tensors, but the device has no 16-bit storage (storageBuffer16BitAccess)",
                      op);
  return want == DType::f16;
}

}  // namespace detail

Status record_add_forward(CommandList& cl, const TensorView& a, const TensorView& b, const TensorView& y,
                          bool accumulate) {
  constexpr const char* op = "add_forward";
  VKNN_TRY(check_positive(op, "a", a));
  VKNN_TRY(check_shape(op, "b", b, a.shape));
  VKNN_TRY(check_shape(op, "y", y, a.shape));
  VKNN_TRY(check_size(op, a));
  if (partial_overlap(a, y) || partial_overlap(b, y))
    return make_error(Errc::invalid_argument, "add_forward: y {} partially overlaps an input {}", y.str(), a.str());
  VKNN_ASSIGN(const bool half, detail::half_storage(op, cl.context(), {{"a", &a}, {"b", &b}, {"y", &y}}));
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  for_each_chunk(cl, a.numel(), [&](uint64_t first, uint32_t n) {
    const AddPush push{n, accumulate ? kAccumulateA : 0u, 1.0f};
    cl.dispatch(half ? ShaderId::add_forward_f16 : ShaderId::add_forward, spec,
                {{part(a, first, n), Access::read}, {part(b, first, n), Access::read}, {part(y, first, n), accumulate ? Access::read_write : Access::write}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

Status record_add_backward(CommandList& cl, const TensorView& dy, const TensorView& da, bool accumulate_a,
                           const TensorView& db, bool accumulate_b) {
  constexpr const char* op = "add_backward";
  VKNN_TRY(check_positive(op, "dy", dy));
  VKNN_TRY(check_size(op, dy));
  if (!present(da) && !present(db))
    return make_error(Errc::invalid_argument, "add_backward: neither da nor db was given (dy {})", dy.str());
  if (present(da)) VKNN_TRY(check_shape(op, "da", da, dy.shape));
  if (present(db)) VKNN_TRY(check_shape(op, "db", db, dy.shape));
  if (present(da) && present(db) && range(da).overlaps(range(db)))
    return make_error(Errc::invalid_argument, "add_backward: da {} and db {} overlap", da.str(), db.str());
  for (const TensorView* t : {&da, &db})
    if (present(*t) && range(*t).overlaps(range(dy)))
      return make_error(Errc::invalid_argument, "add_backward: a gradient output {} overlaps dy {}", t->str(), dy.str());
  // One target alone is a (scaled by 1) copy or accumulation.
  if (!present(db)) return record_scale(cl, dy, 1.0f, da, accumulate_a);
  if (!present(da)) return record_scale(cl, dy, 1.0f, db, accumulate_b);
  const uint32_t flags = kWriteA | kWriteB | (accumulate_a ? kAccumulateA : 0u) | (accumulate_b ? kAccumulateB : 0u);
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  for_each_chunk(cl, dy.numel(), [&](uint64_t first, uint32_t n) {
    const AddPush push{n, flags, 1.0f};
    cl.dispatch(ShaderId::add_backward, spec,
                {{part(dy, first, n), Access::read},
                 {part(da, first, n), accumulate_a ? Access::read_write : Access::write},
                 {part(db, first, n), accumulate_b ? Access::read_write : Access::write}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

Status record_copy(CommandList& cl, const TensorView& src, const TensorView& dst) {
  constexpr const char* op = "copy";
  VKNN_TRY(check_positive(op, "src", src));
  VKNN_TRY(check_shape(op, "dst", dst, src.shape));
  VKNN_TRY(check_dtype(op, "dst", dst, src.dtype));  // a byte copy: any dtype, the same on both sides
  if (range(src).overlaps(range(dst)))
    return make_error(Errc::invalid_argument, "copy: src {} and dst {} overlap", src.str(), dst.str());
  cl.copy(range(src), range(dst));
  return {};
}

Status record_scale(CommandList& cl, const TensorView& src, float alpha, const TensorView& dst, bool accumulate) {
  const char* op = accumulate ? "accumulate" : "scale";
  VKNN_TRY(check_positive(op, "src", src));
  VKNN_TRY(check_shape(op, "dst", dst, src.shape));
  VKNN_TRY(check_size(op, src));
  if (!std::isfinite(alpha))
    return make_error(Errc::invalid_argument, "{}: alpha {} is not finite (src {})", op, alpha, src.str());
  if (partial_overlap(src, dst))
    return make_error(Errc::invalid_argument, "{}: src {} and dst {} partially overlap", op, src.str(), dst.str());
  const uint32_t spec[] = {cl.context().profile().elementwise_local};
  for_each_chunk(cl, src.numel(), [&](uint64_t first, uint32_t n) {
    const AddPush push{n, accumulate ? kAccumulateA : 0u, alpha};
    cl.dispatch(ShaderId::add_scaled, spec,
                {{part(src, first, n), Access::read},
                 {part(dst, first, n), accumulate ? Access::read_write : Access::write}},
                push, groups_for(n, spec[0]));
  });
  return {};
}

Status record_accumulate(CommandList& cl, const TensorView& src, const TensorView& dst) {
  return record_scale(cl, src, 1.0f, dst, true);
}

// ---------------------------------------------------------------------------- graph node

namespace {

struct GradCopyNode final : OpNode {  // dx = dy or dx += dy
  bool accumulate = false;
  const char* type() const override { return accumulate ? "accumulate" : "copy"; }
  Status record(CommandList& cl, const NodeIO& io) const override {
    return accumulate ? record_accumulate(cl, io.in[0], io.out[0]) : record_copy(cl, io.in[0], io.out[0]);
  }
};

struct AddNode final : OpNode {
  const char* type() const override { return "add"; }
  bool half_storage() const override { return true; }
  Status record(CommandList& cl, const NodeIO& io) const override {
    return record_add_forward(cl, io.in[0], io.in[1], io.out[0]);
  }
  // The gradient fans out unchanged to both branches (each may overwrite or accumulate).
  Status backward(BackwardBuilder& b) const override {
    if (!b.grad_output(0).valid()) return {};
    for (size_t i = 0; i < 2; ++i) {
      if (!b.needs_grad(i)) continue;
      auto target = b.grad_input(i);
      auto node = std::make_shared<GradCopyNode>();
      node->accumulate = target.accumulate;
      b.add_node(i == 0 ? "a" : "b", node, {b.grad_output(0)}, {target.tensor});
    }
    return {};
  }
};

}  // namespace

TensorId add(Graph& g, TensorId a, TensorId b, const std::string& name) {
  if (!g.accepts({a, b}, name)) return {};
  VKNN_GRAPH_CHECK(g, g.shape(a) == g.shape(b), "add '{}': '{}' {} and '{}' {} differ", name, g.desc(a).name,
                   g.shape(a).str(), g.desc(b).name, g.shape(b).str());
  const std::string n = g.unique_name(name);
  TensorId y = g.tensor(n, g.shape(a), Role::activation);
  g.add_node(n, std::make_shared<AddNode>(), {a, b}, {y});
  return y;
}

bool is_add(const Node& n) { return dynamic_cast<const AddNode*>(n.op.get()) != nullptr; }

}  // namespace vknn
