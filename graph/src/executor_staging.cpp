// Weights staged on the host (Executor::staging_bytes): in an inference-only executor, the
// parameters and state that only prepare nodes read (a convolution's weight and the batch-norm
// statistics folded into it, a weight converted to fp16) and the derived tensors that only
// prepare nodes read (the fp32 folded weight an fp16 copy is made from) need no device memory
// between preparations. The parameters' values live on the host; each preparation uploads them
// into a buffer of their own, runs the prepare nodes, which write the persistent derived
// tensors the forward pass reads, and frees that buffer. So an fp16 inference graph keeps only
// its fp16 weights on the device, and an fp32 one only its folded weights.
#include "vknn/graph/executor.h"

#include <algorithm>

namespace vknn {

void Executor::plan_staging(const std::vector<int8_t>& crosses) {
  const auto& tensors = graph_.tensors();
  const size_t nt = tensors.size();
  staged_.assign(nt, 0);
  staging_offset_.assign(nt, 0);
  host_values_.assign(nt, {});
  staging_bytes_ = 0;
  const auto& nodes = graph_.nodes();
  // Training graphs read their parameters every step; several targets would need the staged
  // tensors on each device.
  if (targets_.size() != 1 || devices_.size() != 1) return;
  for (const Node& n : nodes)
    if (n.phase == Phase::backward || n.phase == Phase::update) return;
  std::vector<int8_t> prepare_only(nt, 0), used(nt, 0);
  for (size_t i = 0; i < nt; ++i) prepare_only[i] = 1;
  for (const Node& n : nodes)
    for (const auto* list : {&n.inputs, &n.outputs})
      for (TensorId t : *list) {
        used[size_t(t.index)] = 1;
        if (n.phase != Phase::prepare) prepare_only[size_t(t.index)] = 0;
      }
  uint64_t size = 0;
  for (size_t i = 0; i < nt; ++i) {
    const TensorDesc& d = tensors[i];
    const bool weight = d.role == Role::parameter || d.role == Role::state || d.role == Role::derived;
    if (!weight || !used[i] || !prepare_only[i] || crosses[i] || root_[i] != int32_t(i) || !pieces_[i].empty() ||
        d.slice_of.valid() || d.channel_slice_of.valid())
      continue;
    staged_[i] = 1;
    staging_offset_[i] = size;
    size += (d.bytes() + 255) / 256 * 256;
  }
  staging_bytes_ = size;
}

Status Executor::stage_initial_values(size_t i) {
  const TensorDesc& d = graph_.tensors()[i];
  if (d.dtype != DType::f32)
    return make_error(Errc::invalid_argument, "{} '{}' {} is {}; only fp32 weights are held on the host",
                      role_name(d.role), d.name, d.shape.str(), dtype_name(d.dtype));
  if (d.init.kind == Init::Kind::values) host_values_[i] = *d.init.data;  // imported weights, as they are
  else host_values_[i] = initial_values(d, seed_);
  return {};
}

Status Executor::prepare_staged() {
  const auto& tensors = graph_.tensors();
  Context& ctx = *devices_[0].ctx;
  auto staging = Buffer::create(ctx, staging_bytes_);
  if (!staging.ok()) return on_device(0, staging.error());
  for (size_t i = 0; i < tensors.size(); ++i)
    if (staged_[i]) refs_[0][i] = staging->ref(staging_offset_[i], tensors[i].bytes());
  Status s;
  for (size_t i = 0; i < tensors.size() && s.ok(); ++i)
    if (staged_[i] && !host_values_[i].empty())
      if (auto u = ctx.upload(refs_[0][i], host_values_[i].data(), host_values_[i].size() * 4); !u.ok())
        s = on_device(0, u.error());
  // Recorded against this buffer, so recorded for each preparation; run_program waits for it.
  if (s.ok()) s = build_program(prepare_, false, true);
  if (s.ok()) s = run_program(prepare_);
  if (!s.ok()) drain(10'000'000'000ull);
  prepare_.segments.clear();
  for (size_t i = 0; i < tensors.size(); ++i)
    if (staged_[i]) refs_[0][i] = {};
  return s;
}

}  // namespace vknn
