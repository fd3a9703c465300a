#include "vknn/graph/executor.h"

#include "vknn/graph/safetensors.h"

#include <cmath>
#include <cstring>
#include <random>

namespace vknn {
namespace {

bool is_persistent(const Graph& g, const TensorDesc& d) {
  switch (d.role) {
    case Role::parameter:
    case Role::state:
    case Role::input:
    case Role::output: return true;
    case Role::gradient: return d.grad_of.valid() && g.desc(d.grad_of).role == Role::parameter;
    case Role::activation: return false;
  }
  return true;
}

uint64_t align256(uint64_t v) { return (v + 255) / 256 * 256; }

// FNV-1a, so initial values depend on the tensor's name, not on creation order.
uint64_t name_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::vector<float> initial_values(const TensorDesc& d, uint64_t seed) {
  std::vector<float> v(size_t(d.shape.numel()), 0.0f);
  std::mt19937_64 rng(seed ^ name_hash(d.name));
  // Drawn by hand (Box-Muller) because std:: distributions differ between standard libraries.
  auto uniform01 = [&] { return (double(rng() >> 11) + 0.5) * 0x1.0p-53; };
  switch (d.init.kind) {
    case Init::Kind::zeros: break;
    case Init::Kind::constant: std::fill(v.begin(), v.end(), d.init.value); break;
    case Init::Kind::uniform:
      for (auto& x : v) x = float((2 * uniform01() - 1) * d.init.bound);
      break;
    case Init::Kind::normal:
      for (auto& x : v) x = float(std::sqrt(-2 * std::log(uniform01())) * std::cos(2 * M_PI * uniform01()) * d.init.stddev);
      break;
  }
  return v;
}

}  // namespace

Result<std::unique_ptr<Executor>> Executor::create(Context& ctx, const Graph& graph, ExecutorOptions options) {
  std::unique_ptr<Executor> ex(new Executor(ctx, graph));
  ex->seed_ = options.seed;
  ex->timing_ = options.timing;
  ex->params_.seed_lo = uint32_t(options.seed);
  ex->params_.seed_hi = uint32_t(options.seed >> 32);
  ex->params_.learning_rate = options.learning_rate;
  VKNN_TRY(ex->allocate());
  VKNN_TRY(ex->initialize());
  VKNN_TRY(ex->record());
  return ex;
}

Executor::~Executor() = default;

Status Executor::allocate() {
  const auto& tensors = graph_.tensors();
  const auto& nodes = graph_.nodes();
  refs_.assign(tensors.size(), BufferRef{});
  // Lifetimes of the transient tensors over the schedule.
  std::vector<int64_t> first(tensors.size(), -1), last(tensors.size(), -1);
  for (size_t k = 0; k < nodes.size(); ++k)
    for (const auto* list : {&nodes[k].inputs, &nodes[k].outputs})
      for (TensorId t : *list) {
        if (first[size_t(t.index)] < 0) first[size_t(t.index)] = int64_t(k);
        last[size_t(t.index)] = int64_t(k);
      }
  std::vector<PlanRequest> requests;
  std::vector<size_t> planned;
  uint64_t persistent = 256;  // the StepParams block comes first
  std::vector<uint64_t> persistent_offset(tensors.size(), 0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& d = tensors[i];
    if (is_persistent(graph_, d)) {
      persistent_offset[i] = persistent;
      persistent += align256(d.shape.bytes());
    } else if (first[i] >= 0) {
      requests.push_back({d.shape.bytes(), uint32_t(first[i]), uint32_t(last[i])});
      planned.push_back(i);
    }
  }
  // Each node's workspace lives in the transient arena for that node's step only.
  const size_t tensor_requests = requests.size();
  std::vector<size_t> workspace_node;
  for (size_t k = 0; k < nodes.size(); ++k) {
    auto bytes = nodes[k].op->workspace_bytes(ctx_, graph_, nodes[k]);
    if (!bytes.ok())
      return Error{bytes.error().code, bytes.error().vk, fmt::format("node '{}': {}", nodes[k].name, bytes.error().message)};
    if (*bytes == 0) continue;
    requests.push_back({*bytes, uint32_t(k), uint32_t(k)});
    workspace_node.push_back(k);
  }
  plan_ = plan_memory(requests, 256);
  persistent_bytes_ = persistent;
  VKNN_ASSIGN(persistent_, Buffer::create(ctx_, persistent));
  if (plan_.peak_bytes > 0) {
    VKNN_ASSIGN(transient_, Buffer::create(ctx_, plan_.peak_bytes));
  }
  step_ref_ = persistent_.ref(0, sizeof(StepParams));
  for (size_t i = 0; i < tensors.size(); ++i)
    if (is_persistent(graph_, tensors[i])) refs_[i] = persistent_.ref(persistent_offset[i], tensors[i].shape.bytes());
  for (size_t j = 0; j < planned.size(); ++j)
    refs_[planned[j]] = transient_.ref(plan_.offsets[j], tensors[planned[j]].shape.bytes());
  workspaces_.assign(nodes.size(), BufferRef{});
  for (size_t j = 0; j < workspace_node.size(); ++j)
    workspaces_[workspace_node[j]] =
        transient_.ref(plan_.offsets[tensor_requests + j], requests[tensor_requests + j].bytes);
  return {};
}

Status Executor::initialize() {
  for (size_t i = 0; i < graph_.tensors().size(); ++i) {
    const auto& d = graph_.tensors()[i];
    if (!refs_[i].valid()) continue;
    if (d.role == Role::parameter || d.role == Role::state || d.role == Role::gradient || d.role == Role::output ||
        d.role == Role::input) {
      auto v = initial_values(d, seed_);
      VKNN_TRY(ctx_.upload(refs_[i], v.data(), v.size() * 4));
    }
  }
  return {};
}

Status Executor::record() {
  for (const auto& n : graph_.nodes()) {
    has_backward_ = has_backward_ || n.phase == Phase::backward;
    has_update_ = has_update_ || n.phase == Phase::update;
  }
  if (has_backward_) VKNN_TRY(record_list(train_list_, true));
  return record_list(infer_list_, false);
}

Status Executor::record_list(CommandList& list, bool training) {
  CommandList::Options opt;
  opt.max_timestamps = timing_ ? uint32_t(graph_.nodes().size()) : 0;
  VKNN_ASSIGN(list, CommandList::create(ctx_, opt));
  VKNN_TRY(list.begin());
  VKNN_TRY(record_nodes(list, training));
  return list.end();
}

Status Executor::record_inference(CommandList& list) {
  params_.training = 0;
  VKNN_TRY(ctx_.upload(step_ref_, &params_, sizeof(params_)));
  return record_nodes(list, false);
}

Status Executor::record_nodes(CommandList& list, bool training) {
  for (size_t k = 0; k < graph_.nodes().size(); ++k) {
    const Node& n = graph_.nodes()[k];
    if (!training && n.phase != Phase::forward) continue;
    NodeIO io;
    io.step = step_ref_;
    io.workspace = workspaces_[k];
    io.training = training;
    for (TensorId t : n.inputs) io.in.push_back({refs_[size_t(t.index)], graph_.shape(t)});
    for (TensorId t : n.outputs) io.out.push_back({refs_[size_t(t.index)], graph_.shape(t)});
    list.timestamp(n.name);
    if (auto s = n.op->record(list, io); !s.ok())
      return Error{s.error().code, s.error().vk, fmt::format("recording node '{}': {}", n.name, s.error().message)};
  }
  return {};
}

Status Executor::set_input(TensorId t, std::span<const float> values) {
  const auto& d = graph_.desc(t);
  if (d.dtype != DType::f32 || int64_t(values.size()) != d.shape.numel())
    return make_error(Errc::invalid_argument, "set_input '{}': {} float values for a tensor of shape {}", d.name,
                      values.size(), d.shape.str());
  return ctx_.upload(refs_[size_t(t.index)], values.data(), values.size() * 4);
}

Status Executor::set_input(TensorId t, std::span<const int32_t> values) {
  const auto& d = graph_.desc(t);
  if (d.dtype != DType::i32 || int64_t(values.size()) != d.shape.numel())
    return make_error(Errc::invalid_argument, "set_input '{}': {} int32 values for a tensor of shape {}", d.name,
                      values.size(), d.shape.str());
  return ctx_.upload(refs_[size_t(t.index)], values.data(), values.size() * 4);
}

Status Executor::run() {
  if (!has_backward_) return infer();
  params_.training = 1;
  VKNN_TRY(ctx_.upload(step_ref_, &params_, sizeof(params_)));
  VKNN_TRY(train_list_.run());
  last_run_training_ = true;
  if (has_update_) ++params_.step;
  return {};
}

Status Executor::infer() {
  params_.training = 0;
  VKNN_TRY(ctx_.upload(step_ref_, &params_, sizeof(params_)));
  VKNN_TRY(infer_list_.run());
  last_run_training_ = false;
  return {};
}

Result<std::vector<float>> Executor::read(TensorId t) const {
  const auto& d = graph_.desc(t);
  if (!refs_[size_t(t.index)].valid())
    return make_error(Errc::invalid_argument, "read '{}': the tensor is not used by any node", d.name);
  if (!is_persistent(graph_, d))
    return make_error(Errc::invalid_argument,
                      "read '{}': a transient {} shares memory with others after its last use; read persistent tensors",
                      d.name, role_name(d.role));
  std::vector<float> v(size_t(d.shape.numel()));
  VKNN_TRY(ctx_.download(refs_[size_t(t.index)], v.data(), v.size() * 4));
  return v;
}

Result<float> Executor::read_scalar(TensorId t) const {
  VKNN_ASSIGN(auto v, read(t));
  if (v.empty()) return make_error(Errc::invalid_argument, "read_scalar '{}': empty", graph_.desc(t).name);
  return v[0];
}

Status Executor::write(TensorId t, std::span<const float> values) {
  const auto& d = graph_.desc(t);
  if (int64_t(values.size()) != d.shape.numel() || !is_persistent(graph_, d))
    return make_error(Errc::invalid_argument, "write '{}' {}: {} values, or not a persistent tensor", d.name,
                      d.shape.str(), values.size());
  return ctx_.upload(refs_[size_t(t.index)], values.data(), values.size() * 4);
}

Result<std::vector<NodeTiming>> Executor::timings() {
  VKNN_ASSIGN(auto t, (last_run_training_ ? train_list_ : infer_list_).timings());
  std::vector<NodeTiming> out;
  const auto& nodes = graph_.nodes();
  for (size_t i = 0; i < t.size() && i < nodes.size(); ++i)  // recorded in node order
    out.push_back({nodes[i].name, nodes[i].op->type(), nodes[i].phase, t[i].ms, nodes[i].op->flops(graph_, nodes[i])});
  return out;
}

Status Executor::save_checkpoint(const std::filesystem::path& path) const {
  SafetensorsWriter w;
  for (size_t i = 0; i < graph_.tensors().size(); ++i) {
    const auto& d = graph_.tensors()[i];
    if (d.role != Role::parameter && d.role != Role::state) continue;
    VKNN_ASSIGN(auto v, read(TensorId{int32_t(i)}));
    w.add_f32(d.name, d.shape.dims, v);
  }
  w.set_metadata("format", "vknn-checkpoint-1");
  w.set_metadata("step", std::to_string(params_.step));
  w.set_metadata("seed", std::to_string(seed_));
  w.set_metadata("learning_rate", fmt::format("{:.9g}", params_.learning_rate));
  return w.write_atomic(path);
}

Status Executor::load_weights(const std::filesystem::path& path, bool allow_extra) {
  VKNN_ASSIGN(SafetensorsFile f, SafetensorsFile::read(path));
  size_t loaded = 0;
  for (size_t i = 0; i < graph_.tensors().size(); ++i) {
    const auto& d = graph_.tensors()[i];
    if (d.role != Role::parameter && d.role != Role::state) continue;
    if (!f.find(d.name)) {
      if (d.role == Role::state && d.name.ends_with(".momentum")) continue;  // plain weights carry no optimizer state
      return make_error(Errc::parse, "{}: no tensor named '{}' (shape {})", path.string(), d.name, d.shape.str());
    }
    VKNN_ASSIGN(auto v, f.read_f32(d.name, d.shape.dims));
    VKNN_TRY(ctx_.upload(refs_[i], v.data(), v.size() * 4));
    ++loaded;
  }
  if (!allow_extra)
    for (const auto& e : f.entries())
      if (!graph_.find(e.name).valid())
        return make_error(Errc::parse, "{}: tensor '{}' is not in the model", path.string(), e.name);
  (void)loaded;
  return {};
}

Status Executor::load_checkpoint(const std::filesystem::path& path) {
  VKNN_ASSIGN(SafetensorsFile f, SafetensorsFile::read(path));
  auto meta = f.metadata();
  if (meta["format"] != "vknn-checkpoint-1")
    return make_error(Errc::parse, "{}: not a vknn checkpoint (format '{}')", path.string(), meta["format"]);
  for (size_t i = 0; i < graph_.tensors().size(); ++i) {
    const auto& d = graph_.tensors()[i];
    if (d.role != Role::parameter && d.role != Role::state) continue;
    VKNN_ASSIGN(auto v, f.read_f32(d.name, d.shape.dims));
    VKNN_TRY(ctx_.upload(refs_[i], v.data(), v.size() * 4));
  }
  for (const auto& e : f.entries())
    if (!graph_.find(e.name).valid())
      return make_error(Errc::parse, "{}: tensor '{}' is not in the model", path.string(), e.name);
  try {
    params_.step = uint32_t(std::stoul(meta.at("step")));
    seed_ = std::stoull(meta.at("seed"));
    params_.learning_rate = std::stof(meta.at("learning_rate"));
  } catch (const std::exception&) {
    return make_error(Errc::parse, "{}: malformed step/seed/learning_rate metadata", path.string());
  }
  params_.seed_lo = uint32_t(seed_);
  params_.seed_hi = uint32_t(seed_ >> 32);
  return {};
}

}  // namespace vknn
