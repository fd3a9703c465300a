// Weights in and out of an executor: checkpoints (parameters, state, the step and the seed as
// safetensors) and plain weight files, checked against the graph name by name.
#include "vknn/graph/executor.h"

#include "vknn/engine/file.h"
#include "vknn/graph/safetensors.h"

#include <fmt/format.h>

#include <cmath>

namespace vknn {

namespace {
// Optimizer state: what a weights-only checkpoint leaves out and plain weights need not carry.
bool optimizer_state(const TensorDesc& d) {
  return d.role == Role::state &&
         (d.name.ends_with(".momentum") || d.name.ends_with(".exp_avg") || d.name.ends_with(".exp_avg_sq"));
}
}  // namespace

Result<std::vector<uint8_t>> Executor::checkpoint_bytes(const std::map<std::string, std::string>& metadata,
                                                        bool weights_only) const {
  SafetensorsWriter w;
  for (size_t i = 0; i < graph_.tensors().size(); ++i) {
    const auto& d = graph_.tensors()[i];
    if ((d.role != Role::parameter && d.role != Role::state) || d.slice_of.valid()) continue;  // slices: via their whole
    if (weights_only && optimizer_state(d)) continue;
    VKNN_ASSIGN(auto v, read(TensorId{int32_t(i)}));
    // Every loader refuses non-finite weights (SafetensorsFile::read_f32), so a checkpoint
    // holding one could never be used: refuse to write it (a diverged training step).
    for (size_t k = 0; k < v.size(); ++k)
      if (!std::isfinite(v[k]))
        return make_error(Errc::invalid_argument,
                          "not saving a checkpoint at step {}: tensor '{}' {} holds a non-finite value ({}) at "
                          "element {} (the training diverged)",
                          params_.step, d.name, d.shape.str(), v[k], k);
    w.add_f32(d.name, d.shape.dims, v);
  }
  for (const auto& [k, v] : metadata) w.set_metadata(k, v);
  w.set_metadata("format", "vknn-checkpoint-1");
  w.set_metadata("step", std::to_string(params_.step));
  w.set_metadata("seed", std::to_string(seed_));
  w.set_metadata("learning_rate", fmt::format("{:.9g}", params_.learning_rate));
  return w.serialize();
}

Status Executor::save_checkpoint(const std::filesystem::path& path) const {
  VKNN_ASSIGN(std::vector<uint8_t> bytes, checkpoint_bytes());
  return write_file_atomic(path, bytes);
}

Status Executor::load_weights(const std::filesystem::path& path, bool allow_extra, const std::set<std::string>& keep) {
  VKNN_ASSIGN(HostWeights w, read_weights(graph_, path, allow_extra, keep));
  return load_weights(w);
}

Result<Executor::HostWeights> Executor::read_weights(const Graph& g, const std::filesystem::path& path,
                                                     bool allow_extra, const std::set<std::string>& keep) {
  VKNN_ASSIGN(SafetensorsFile f, SafetensorsFile::read(path));
  HostWeights w;
  for (size_t i = 0; i < g.tensors().size(); ++i) {
    const auto& d = g.tensors()[i];
    if ((d.role != Role::parameter && d.role != Role::state) || d.slice_of.valid()) continue;  // slices: via their whole
    if (keep.count(d.name)) continue;
    if (!f.find(d.name)) {
      if (optimizer_state(d)) continue;  // plain weights carry no optimizer state
      return make_error(Errc::parse, "{}: no tensor named '{}' (shape {})", path.string(), d.name, d.shape.str());
    }
    VKNN_ASSIGN(auto v, f.read_f32(d.name, d.shape.dims));
    w.tensors.emplace_back(TensorId{int32_t(i)}, std::move(v));
  }
  if (!allow_extra)
    for (const auto& e : f.entries())
      if (!g.find(e.name).valid())
        return make_error(Errc::parse, "{}: tensor '{}' is not in the model", path.string(), e.name);
  return w;
}

Status Executor::load_weights(const HostWeights& weights) {
  for (const auto& [t, v] : weights.tensors) {
    const bool fits = t.valid() && size_t(t.index) < graph_.tensors().size() &&
                      (graph_.tensors()[size_t(t.index)].role == Role::parameter ||
                       graph_.tensors()[size_t(t.index)].role == Role::state) &&
                      graph_.shape(t).numel() == int64_t(v.size());
    if (!fits)
      return make_error(Errc::invalid_argument, "load_weights: the weights were read for another graph (tensor #{})",
                        t.index);
    VKNN_TRY(upload_home(t, v.data(), v.size() * 4));
  }
  return {};
}

Status Executor::load_checkpoint(const std::filesystem::path& path) {
  VKNN_ASSIGN(SafetensorsFile f, SafetensorsFile::read(path));
  return load_checkpoint(f);
}

Status Executor::load_checkpoint(const SafetensorsFile& f) {
  const std::string& path = f.source();
  auto meta = f.metadata();
  if (meta["format"] != "vknn-checkpoint-1")
    return make_error(Errc::parse, "{}: not a vknn checkpoint (format '{}')", path, meta["format"]);
  for (size_t i = 0; i < graph_.tensors().size(); ++i) {
    const auto& d = graph_.tensors()[i];
    if ((d.role != Role::parameter && d.role != Role::state) || d.slice_of.valid()) continue;  // slices: via their whole
    if (optimizer_state(d) && !f.find(d.name))
      return make_error(Errc::parse, "{}: no optimizer state '{}' (a weights-only file cannot resume training)", path,
                        d.name);
    VKNN_ASSIGN(auto v, f.read_f32(d.name, d.shape.dims));
    VKNN_TRY(upload_home(TensorId{int32_t(i)}, v.data(), v.size() * 4));
  }
  for (const auto& e : f.entries())
    if (!graph_.find(e.name).valid())
      return make_error(Errc::parse, "{}: tensor '{}' is not in the model", path, e.name);
  try {
    params_.step = uint32_t(std::stoul(meta.at("step")));
    seed_ = std::stoull(meta.at("seed"));
    params_.learning_rate = std::stof(meta.at("learning_rate"));
  } catch (const std::exception&) {
    return make_error(Errc::parse, "{}: malformed step/seed/learning_rate metadata", path);
  }
  params_.seed_lo = uint32_t(seed_);
  params_.seed_hi = uint32_t(seed_ >> 32);
  return {};
}

}  // namespace vknn
