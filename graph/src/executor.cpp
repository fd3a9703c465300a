#include "vknn/graph/executor.h"

#include "vknn/graph/safetensors.h"

#include "channel_slice.h"

#include "vknn/graph/placement.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

namespace vknn {
namespace {

bool is_persistent(const Graph& g, const TensorDesc& d) {
  switch (d.role) {
    case Role::parameter:
    case Role::state:
    case Role::derived:
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

}  // namespace

std::vector<float> initial_values(const TensorDesc& d, uint64_t seed) {
  std::vector<float> v(size_t(d.shape.numel()), 0.0f);
  std::mt19937_64 rng(seed ^ name_hash(d.name));
  // Drawn by hand (Box-Muller) because std:: distributions differ between standard libraries.
  auto uniform01 = [&] { return (double(rng() >> 11) + 0.5) * 0x1.0p-53; };
  switch (d.init.kind) {
    case Init::Kind::zeros: break;
    case Init::Kind::values: v = *d.init.data; break;  // its size was checked when the tensor was made
    case Init::Kind::constant: std::fill(v.begin(), v.end(), d.init.value); break;
    case Init::Kind::uniform:
      for (auto& x : v) x = float((2 * uniform01() - 1) * d.init.bound);
      break;
    case Init::Kind::normal:
      // Box-Muller gives two independent normals per pair of uniforms; use both.
      for (size_t i = 0; i < v.size(); i += 2) {
        const double r = std::sqrt(-2 * std::log(uniform01())) * d.init.stddev, a = 2 * M_PI * uniform01();
        v[i] = float(r * std::cos(a));
        if (i + 1 < v.size()) v[i + 1] = float(r * std::sin(a));
      }
      break;
  }
  return v;
}

Result<std::unique_ptr<Executor>> Executor::create(Context& ctx, const Graph& graph, ExecutorOptions options) {
  VKNN_TRY(graph.status());  // a graph whose wiring was refused
  std::unique_ptr<Executor> ex(new Executor(ctx, graph));
  ex->seed_ = options.seed;
  ex->batch_offset_ = options.batch_offset;
  ex->timing_ = options.timing;
  ex->import_host_ = options.import_host_memory;
  ex->chunk_bytes_ = options.transfer_chunk_bytes;
  ex->cut_after_ = options.cut_after;
  ex->collective_ = options.collective;
  for (size_t k : options.cut_after)
    if (k >= graph.nodes().size())
      return make_error(Errc::invalid_argument, "cut_after: node {} does not exist (the graph has {} nodes)", k,
                        graph.nodes().size());
  ex->params_.seed_lo = uint32_t(options.seed);
  ex->params_.seed_hi = uint32_t(options.seed >> 32);
  ex->params_.learning_rate = options.learning_rate;
  VKNN_TRY(ex->resolve_targets(options));
  VKNN_TRY(ex->check_half_storage());
  VKNN_TRY(ex->allocate());
  VKNN_TRY(ex->initialize());
  VKNN_TRY(ex->record());
  return ex;
}

// An fp16 graph (precision.h) runs only where 16-bit storage is: refused up front, naming the
// device, rather than by the first op that records an fp16 tensor.
Status Executor::check_half_storage() const {
  bool half = false;
  for (const TensorDesc& d : graph_.tensors()) half = half || d.dtype == DType::f16;
  if (!half) return {};
  for (const auto& dev : devices_)
    if (!dev.ctx->caps().storage_buffer_16bit)
      return make_error(Errc::unsupported,
                        "the graph holds fp16 tensors, but {} has no 16-bit storage (storageBuffer16BitAccess); "
                        "run it in fp32",
                        dev.label.empty() ? dev.ctx->caps().name : dev.label);
  return {};
}

Executor::~Executor() {
  // Nothing of ours may still be executing when the buffers go away (a run stopped by an
  // error on one device can leave work queued on another).
  drain();
}

void Executor::drain(uint64_t timeout_ns) const {
  for (size_t t = 0; t < targets_.size(); ++t) {
    Queue& q = queue_of(int32_t(t));
    if (!devices_[size_t(targets_[t].device)].ctx->lost()) (void)q.wait(q.last_submitted(), timeout_ns);
  }
}

int32_t Executor::source_target(const TransferOp& tr) const { return targets_.size() == 1 ? 0 : tr.from(); }

Error Executor::on_device(int32_t device, const Error& e) const {
  if (devices_.size() < 2) return e;
  return Error{e.code, e.vk, fmt::format("{}: {}", devices_[size_t(device)].label, e.message)};
}

Queue& Executor::queue_of(int32_t target) const {
  const Target& t = targets_[size_t(target)];
  return devices_[size_t(t.device)].ctx->queue(t.queue);
}

BufferRef Executor::ref(int32_t device, TensorId t) const { return refs_[size_t(device)][size_t(t.index)]; }

int32_t Executor::resident_device(TensorId t) const {
  const int32_t d = home_device_.at(size_t(t.index));
  if (d >= 0) return d;
  for (size_t i = 0; i < devices_.size(); ++i)  // an input: the first device that holds it
    if (refs_[i][size_t(t.index)].valid()) return int32_t(i);
  return 0;
}

BufferRef Executor::buffer(TensorId t) const { return ref(resident_device(t), t); }

TensorView Executor::view(int32_t device, TensorId t) const {
  const TensorDesc& d = graph_.desc(t);
  TensorView v{ref(device, t), d.shape};
  v.dtype = d.dtype;
  if (d.channel_slice_of.valid()) {
    v.channel_offset = d.channel_offset;
    v.parent_channels = graph_.shape(d.channel_slice_of)[1];
  }
  return v;
}

Status Executor::resolve_targets(const ExecutorOptions& options) {
  std::vector<ExecutionTarget> wanted = options.targets;
  if (wanted.empty()) wanted.push_back({&ctx_, 0});
  for (auto& w : wanted)
    if (!w.context) w.context = &ctx_;
  const int32_t used = graph_.target_count();
  if (wanted.size() > 1 && int32_t(wanted.size()) < used)
    return make_error(Errc::invalid_argument, "the graph places nodes on {} targets but the executor was given {}", used,
                      wanted.size());
  for (const auto& w : wanted) {
    int32_t device = -1;
    for (size_t d = 0; d < devices_.size(); ++d)
      if (devices_[d].ctx == w.context) device = int32_t(d);
    if (device < 0) {
      device = int32_t(devices_.size());
      Device dev;
      dev.ctx = w.context;
      dev.label = fmt::format("device {} ({})", device, w.context->caps().name);
      devices_.push_back(std::move(dev));
    }
    if (w.queue >= w.context->queue_count())
      return make_error(Errc::invalid_argument, "{}: queue {} requested, the context has {} queue(s)",
                        devices_[size_t(device)].label, w.queue, w.context->queue_count());
    Target t;
    t.device = device;
    t.queue = w.queue;
    targets_.push_back(std::move(t));
  }
  node_target_.clear();
  for (const auto& n : graph_.nodes()) node_target_.push_back(targets_.size() == 1 ? 0 : n.target);
  return {};
}

Status Executor::allocate() {
  const auto& tensors = graph_.tensors();
  const auto& nodes = graph_.nodes();
  const size_t nt = tensors.size();
  // A channel slice uses its parent's memory: a use of the slice is one of the parent too.
  VKNN_ASSIGN(root_, detail::channel_slice_storage(graph_));
  // Which targets touch each tensor, and when (schedule positions).
  std::vector<int64_t> first(nt, -1), last(nt, -1), last_write(nt, -1);
  std::vector<std::vector<int32_t>> touched_by(nt);
  for (size_t k = 0; k < nodes.size(); ++k) {
    for (const auto* list : {&nodes[k].inputs, &nodes[k].outputs})
      for (TensorId t : *list)
        for (const size_t i : {size_t(t.index), size_t(root_[size_t(t.index)])}) {
          if (first[i] < 0) first[i] = int64_t(k);
          last[i] = int64_t(k);
          auto& tb = touched_by[i];
          if (std::find(tb.begin(), tb.end(), node_target_[k]) == tb.end()) tb.push_back(node_target_[k]);
        }
    for (TensorId t : nodes[k].outputs)
      last_write[size_t(t.index)] = last_write[size_t(root_[size_t(t.index)])] = int64_t(k);
  }
  // Transfers: within one device the receiver uses the sender's memory when neither side is
  // written afterwards (or the source is no longer used); otherwise it is copied.
  alias_.assign(nodes.size(), 0);
  std::vector<int8_t> crosses(nt, 0);
  for (size_t k = 0; k < nodes.size(); ++k) {
    const TransferOp* tr = as_transfer(nodes[k]);
    if (!tr) continue;
    const size_t x = size_t(nodes[k].inputs[0].index), y = size_t(nodes[k].outputs[0].index);
    crosses[x] = crosses[y] = 1;
    const int32_t from = source_target(*tr);
    if (targets_[size_t(from)].device != device_of_node(k)) continue;
    const bool written_after = last_write[x] > int64_t(k) || last_write[y] > int64_t(k);
    const bool source_used_after = last[x] > int64_t(k);
    if (!written_after || !source_used_after) {
      alias_[k] = 1;
      root_[y] = root_[x];
    }
  }
  for (size_t i = 0; i < nt; ++i)
    if (touched_by[i].size() > 1 && !crosses[i] && tensors[i].role != Role::input)
      return make_error(Errc::invalid_argument,
                        "{} '{}' {} is used on targets {} and {} without a transfer node (call insert_transfers after placing nodes)",
                        role_name(tensors[i].role), tensors[i].name, tensors[i].shape.str(), touched_by[i][0],
                        touched_by[i][1]);

  // Tensors split into slices (TensorDesc::slice_of) live in their slices only.
  pieces_.assign(nt, {});
  for (size_t i = 0; i < nt; ++i)
    if (tensors[i].slice_of.valid()) pieces_[size_t(tensors[i].slice_of.index)].push_back(i);
  for (size_t i = 0; i < nt; ++i)
    if (!pieces_[i].empty() && first[i] >= 0)
      return make_error(Errc::invalid_argument, "{} '{}' is split into slices but node '{}' uses it whole",
                        role_name(tensors[i].role), tensors[i].name, nodes[size_t(first[i])].name);

  // Home device of each tensor: where it is written (or first used); inputs live on every
  // device that reads them.
  home_device_.assign(nt, 0);
  std::vector<std::vector<int8_t>> resident(devices_.size(), std::vector<int8_t>(nt, 0));
  for (size_t i = 0; i < nt; ++i) {
    if (tensors[i].role == Role::input) {
      home_device_[i] = -1;
      for (int32_t t : touched_by[i]) resident[size_t(targets_[size_t(t)].device)][i] = 1;
      continue;
    }
    const int32_t producer = tensors[i].producer;
    const int32_t target = producer >= 0 ? node_target_[size_t(producer)] : (touched_by[i].empty() ? 0 : touched_by[i][0]);
    home_device_[i] = targets_[size_t(target)].device;
    resident[size_t(home_device_[i])][i] = 1;
  }

  plan_staging(crosses);
  // Persistent memory per device (StepParams first), transient memory per target.
  refs_.assign(devices_.size(), std::vector<BufferRef>(nt));
  persistent_bytes_ = 0;
  std::vector<std::vector<uint64_t>> offset(devices_.size(), std::vector<uint64_t>(nt, 0));
  std::vector<uint64_t> persistent_size(devices_.size(), 256);
  auto persistent = [&](size_t i) {
    return pieces_[i].empty() && !staged_[i] && (is_persistent(graph_, tensors[i]) || crosses[i] != 0);
  };
  for (size_t i = 0; i < nt; ++i) {
    if (!persistent(i) || root_[i] != int32_t(i)) continue;
    for (size_t d = 0; d < devices_.size(); ++d)
      if (resident[d][i]) {
        offset[d][i] = persistent_size[d];
        persistent_size[d] += align256(tensors[i].bytes());
      }
  }
  for (size_t d = 0; d < devices_.size(); ++d) {
    auto b = Buffer::create(*devices_[d].ctx, persistent_size[d]);
    if (!b.ok()) return on_device(int32_t(d), b.error());
    devices_[d].persistent = std::move(*b);
    devices_[d].step = devices_[d].persistent.ref(0, sizeof(StepParams));
    persistent_bytes_ += persistent_size[d];
    for (size_t i = 0; i < nt; ++i)
      if (resident[d][i] && persistent(i) && root_[i] == int32_t(i))
        refs_[d][i] = devices_[d].persistent.ref(offset[d][i], tensors[i].bytes());
  }
  workspaces_.assign(nodes.size(), BufferRef{});
  for (size_t t = 0; t < targets_.size(); ++t) {
    Target& tg = targets_[t];
    const size_t d = size_t(tg.device);
    std::vector<PlanRequest> requests;
    std::vector<size_t> planned;
    for (size_t i = 0; i < nt; ++i)
      if (!persistent(i) && !staged_[i] && root_[i] == int32_t(i) && first[i] >= 0 && touched_by[i][0] == int32_t(t)) {
        requests.push_back({tensors[i].bytes(), uint32_t(first[i]), uint32_t(last[i])});
        planned.push_back(i);
      }
    // Each node's workspace lives in its target's transient memory for that node only.
    const size_t tensor_requests = requests.size();
    std::vector<size_t> workspace_node;
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (node_target_[k] != int32_t(t)) continue;
      auto bytes = nodes[k].op->workspace_bytes(*devices_[d].ctx, graph_, nodes[k]);
      if (!bytes.ok())
        return Error{bytes.error().code, bytes.error().vk, fmt::format("node '{}': {}", nodes[k].name, bytes.error().message)};
      if (*bytes == 0) continue;
      requests.push_back({*bytes, uint32_t(k), uint32_t(k)});
      workspace_node.push_back(k);
    }
    tg.plan = plan_memory(requests, 256);
    if (tg.plan.peak_bytes > 0) {
      auto b = Buffer::create(*devices_[d].ctx, tg.plan.peak_bytes);
      if (!b.ok()) return on_device(tg.device, b.error());
      tg.transient = std::move(*b);
    }
    for (size_t j = 0; j < planned.size(); ++j)
      refs_[d][planned[j]] = tg.transient.ref(tg.plan.offsets[j], tensors[planned[j]].bytes());
    for (size_t j = 0; j < workspace_node.size(); ++j)
      workspaces_[workspace_node[j]] =
          tg.transient.ref(tg.plan.offsets[tensor_requests + j], requests[tensor_requests + j].bytes);
  }
  // Aliased transfer outputs and channel slices use their source's memory.
  for (size_t i = 0; i < nt; ++i)
    if (root_[i] != int32_t(i))
      for (size_t d = 0; d < devices_.size(); ++d) refs_[d][i] = refs_[d][size_t(root_[i])];
  // Host-visible memory for the transfers between devices.
  for (size_t k = 0; k < nodes.size(); ++k) {
    const TransferOp* tr = as_transfer(nodes[k]);
    if (!tr || alias_[k]) continue;
    const int32_t src = targets_[size_t(source_target(*tr))].device, dst = device_of_node(k);
    if (src == dst) continue;
    const uint64_t bytes = graph_.desc(nodes[k].outputs[0]).bytes();
    Context& a = *devices_[size_t(src)].ctx;
    Context& b = *devices_[size_t(dst)].ctx;
    Bridge br;
    br.bytes = bytes;
    const uint64_t chunk = std::max<uint64_t>(256, (chunk_bytes_ + 255) / 256 * 256);
    for (uint64_t off = 0; off < bytes; off += chunk) br.chunks.push_back({off, std::min(chunk, bytes - off)});
    const VkDeviceSize align = std::max(Buffer::host_import_alignment(a), Buffer::host_import_alignment(b));
    if (import_host_ && Buffer::host_import_alignment(a) && Buffer::host_import_alignment(b)) {
      const VkDeviceSize size = (bytes + align - 1) / align * align;
      br.host = std::shared_ptr<void>(std::aligned_alloc(size_t(align), size_t(size)), std::free);
      if (!br.host) return make_error(Errc::out_of_memory, "{} bytes of host memory for transfer '{}'", size, nodes[k].name);
      auto ia = Buffer::import_host(a, br.host.get(), size);
      if (!ia.ok()) return on_device(src, ia.error());
      auto ib = Buffer::import_host(b, br.host.get(), size);
      if (!ib.ok()) return on_device(dst, ib.error());
      br.src = std::move(*ia);
      br.dst = std::move(*ib);
    } else {
      auto sa = Buffer::create(a, bytes, MemoryKind::staging);
      if (!sa.ok()) return on_device(src, sa.error());
      auto sb = Buffer::create(b, bytes, MemoryKind::staging);
      if (!sb.ok()) return on_device(dst, sb.error());
      br.src = std::move(*sa);
      br.dst = std::move(*sb);
    }
    bridges_.emplace(k, std::move(br));
  }
  return {};
}

uint64_t Executor::planned_bytes() const {
  uint64_t total = persistent_bytes_;
  for (const auto& t : targets_) total += t.plan.peak_bytes;
  return total;
}

uint64_t Executor::bytes_copied_per_run(bool training) const {
  uint64_t bytes = 0;
  for (const auto& [k, br] : bridges_)
    if (training || graph_.nodes()[k].phase == Phase::forward) bytes += br.bytes;
  return bytes;
}

Status Executor::initialize() {
  for (size_t i = 0; i < graph_.tensors().size(); ++i) {
    const auto& d = graph_.tensors()[i];
    if (root_[i] != int32_t(i)) continue;
    if (d.role == Role::parameter || d.role == Role::state || d.role == Role::gradient || d.role == Role::output ||
        d.role == Role::input) {
      if (d.slice_of.valid()) continue;  // filled with the whole tensor it is part of
      if (staged_[i]) {
        VKNN_TRY(stage_initial_values(i));
        continue;
      }
      std::vector<float> v;
      if (!pieces_[i].empty()) {  // a whole tensor: its values go to its slices
        v = initial_values(d, seed_);
        VKNN_TRY(upload_home(TensorId{int32_t(i)}, v.data(), v.size() * 4));
        continue;
      }
      for (size_t dev = 0; dev < devices_.size(); ++dev) {
        if (!refs_[dev][i].valid() || refs_[dev][i].buffer != devices_[dev].persistent.handle()) continue;
        // Values that came with the graph (imported weights) are uploaded as they are.
        const bool given = d.init.kind == Init::Kind::values;
        if (v.empty() && !given) v = initial_values(d, seed_);
        const float* src = given ? d.init.data->data() : v.data();
        if (auto s = devices_[dev].ctx->upload(refs_[dev][i], src, size_t(d.shape.numel()) * 4); !s.ok())
          return on_device(int32_t(dev), s.error());
      }
    }
  }
  return {};
}

Status Executor::record() {
  for (const auto& n : graph_.nodes()) {
    has_backward_ = has_backward_ || n.phase == Phase::backward;
    has_update_ = has_update_ || n.phase == Phase::update;
    has_prepare_ = has_prepare_ || n.phase == Phase::prepare;
  }
  if (has_backward_) VKNN_TRY(build_program(train_, true));
  // With staged weights the prepare program is recorded per preparation (prepare_staged).
  if (has_prepare_ && staging_bytes_ == 0) VKNN_TRY(build_program(prepare_, false, true));
  return build_program(infer_, false);
}

// Records the schedule (schedule.h) of the training step or the inference pass: one command
// list per segment.
Status Executor::build_program(Program& p, bool training, bool prepare) {
  const auto& nodes = graph_.nodes();
  ScheduleInput in;
  in.graph = &graph_;
  in.training = training;
  in.prepare = prepare;
  in.targets = int32_t(targets_.size());
  in.node_target = node_target_;
  in.root = root_;
  in.alias = alias_;
  in.from_target.assign(nodes.size(), -1);
  for (size_t k = 0; k < nodes.size(); ++k)
    if (const TransferOp* tr = as_transfer(nodes[k])) in.from_target[k] = source_target(*tr);
  for (const auto& [k, br] : bridges_) in.chunks[k] = br.chunks.size();
  if (training && !cut_after_.empty()) {
    in.cut_after = cut_after_;
    for (size_t k = 0; k + 1 < nodes.size(); ++k)  // the update in segments of its own
      if (nodes[k].phase != Phase::update && nodes[k + 1].phase == Phase::update) in.cut_after.push_back(k);
  }
  p.segments.clear();
  for (ScheduleSegment& s : build_schedule(in)) {
    Segment seg;
    static_cast<ScheduleSegment&>(seg) = std::move(s);
    p.segments.push_back(std::move(seg));
  }
  p.node_segment.assign(nodes.size(), -1);
  p.has_update.assign(p.segments.size(), 0);
  for (size_t s = 0; s < p.segments.size(); ++s)
    for (const ScheduleItem& item : p.segments[s].items)
      if (item.kind == ScheduleItem::Kind::node) {
        p.node_segment[item.node] = int32_t(s);
        if (nodes[item.node].phase == Phase::update) p.has_update[s] = 1;
      }
  for (Segment& seg : p.segments) {
    if (seg.host()) continue;  // run on the host, nothing to record
    const Target& tg = targets_[size_t(seg.target)];
    CommandList::Options opt;
    opt.queue = tg.queue;
    opt.max_timestamps = timing_ ? uint32_t(seg.items.size()) : 0;
    auto list = CommandList::create(*devices_[size_t(tg.device)].ctx, opt);
    if (!list.ok()) return on_device(tg.device, list.error());
    seg.list = std::move(*list);
    if (auto s = seg.list.begin(); !s.ok()) return on_device(tg.device, s.error());
    // Orders this command buffer after whatever ran before it on the same queue.
    seg.list.barrier();
    VKNN_TRY(record_items(seg.list, seg, training));
    if (auto s = seg.list.end(); !s.ok()) return on_device(tg.device, s.error());
  }
  return {};
}

Status Executor::record_items(CommandList& list, const Segment& seg, bool training) {
  const int32_t device = targets_[size_t(seg.target)].device;
  const auto& nodes = graph_.nodes();
  for (const ScheduleItem& item : seg.items) {
    const Node& n = nodes[item.node];
    switch (item.kind) {
      case ScheduleItem::Kind::node: {
        NodeIO io;
        io.step = devices_[size_t(device)].step;
        io.workspace = workspaces_[item.node];
        io.training = training;
        io.batch_offset = batch_offset_;
        for (TensorId t : n.inputs) io.in.push_back(view(device, t));
        for (TensorId t : n.outputs) io.out.push_back(view(device, t));
        list.timestamp(n.name);
        if (auto s = n.op->record(list, io); !s.ok())
          return Error{s.error().code, s.error().vk, fmt::format("recording node '{}': {}", n.name, s.error().message)};
        break;
      }
      case ScheduleItem::Kind::copy:
        list.timestamp(n.name);
        list.copy(ref(device, n.inputs[0]), ref(device, n.outputs[0]));
        break;
      case ScheduleItem::Kind::send: {
        const Bridge& br = bridges_.at(item.node);
        const auto [off, len] = br.chunks[item.chunk];
        list.timestamp(br.chunks.size() > 1 ? fmt::format("{}.send[{}]", n.name, item.chunk) : n.name + ".send");
        list.copy(ref(device, n.inputs[0]).sub(off, len), br.src.ref(off, len));
        break;
      }
      case ScheduleItem::Kind::recv: {
        const Bridge& br = bridges_.at(item.node);
        const auto [off, len] = br.chunks[item.chunk];
        list.timestamp(br.chunks.size() > 1 ? fmt::format("{}.recv[{}]", n.name, item.chunk) : n.name + ".recv");
        list.copy(br.dst.ref(off, len), ref(device, n.outputs[0]).sub(off, len));
        break;
      }
      case ScheduleItem::Kind::host:
        return make_error(Errc::invalid_argument, "host node '{}' cannot be recorded into a command list", n.name);
    }
  }
  return {};
}

Status Executor::record_inference(CommandList& list) {
  if (targets_.size() != 1 || infer_.segments.size() != 1)
    return make_error(Errc::unsupported, "record_inference: the executor runs on {} targets; only one is supported here",
                      targets_.size());
  VKNN_TRY(prepare());
  params_.training = 0;
  if (auto s = devices_[0].ctx->upload(devices_[0].step, &params_, sizeof(params_)); !s.ok()) return on_device(0, s.error());
  return record_items(list, infer_.segments[0], false);
}

Status Executor::run_program(Program& p, StepHook* hook) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  for (auto& d : devices_)
    if (auto s = d.ctx->upload(d.step, &params_, sizeof(params_)); !s.ok())
      return on_device(int32_t(&d - devices_.data()), s.error());
  std::vector<double> host_copy_ms(targets_.size(), 0);
  std::vector<uint64_t> received(targets_.size(), 0);
  // On failure, let what was already submitted elsewhere finish before reporting.
  auto drain_and_fail = [&](const Error& e, int32_t device) -> Status {
    drain(10'000'000'000ull);
    return device < 0 ? e : on_device(device, e);
  };
  for (Segment& seg : p.segments) seg.signal = 0;  // not submitted in this run yet
  bool hooked = hook == nullptr;
  auto call_hook = [&]() -> Status {
    hooked = true;
    running_ = &p;
    Status s = hook->before_update(*this);
    running_ = nullptr;
    return s;
  };
  std::vector<double> host_ms(targets_.size(), 0);
  for (Segment& seg : p.segments) {
    const int32_t dev = targets_[size_t(seg.target)].device;
    if (!hooked && p.has_update[size_t(&seg - p.segments.data())])
      if (auto s = call_hook(); !s.ok()) return drain_and_fail(s.error(), -1);
    if (seg.host()) {
      const auto h0 = clock::now();
      if (auto s = run_host_segment(p, size_t(&seg - p.segments.data())); !s.ok()) return drain_and_fail(s.error(), -1);
      host_ms[size_t(seg.target)] += std::chrono::duration<double, std::milli>(clock::now() - h0).count();
      continue;
    }
    std::vector<SemaphoreWait> waits;
    for (size_t w : seg.waits) {
      const Segment& other = p.segments[w];
      const int32_t odev = targets_[size_t(other.target)].device;
      if (odev == dev) {
        waits.push_back({queue_of(other.target).timeline(), other.signal});
      } else if (auto s = queue_of(other.target).wait(other.signal); !s.ok()) {
        return drain_and_fail(s.error(), odev);  // another device: the host paces the transfer
      }
    }
    const auto c0 = clock::now();
    for (const ScheduleItem& item : seg.items)
      if (item.kind == ScheduleItem::Kind::recv) {
        const Bridge& br = bridges_.at(item.node);
        const auto [off, len] = br.chunks[item.chunk];
        if (!br.shared())
          std::memcpy(static_cast<uint8_t*>(br.dst.mapped()) + off, static_cast<const uint8_t*>(br.src.mapped()) + off,
                      size_t(len));
        received[size_t(seg.target)] += len;
      }
    host_copy_ms[size_t(seg.target)] += std::chrono::duration<double, std::milli>(clock::now() - c0).count();
    auto v = seg.list.submit(waits);
    if (!v.ok()) return drain_and_fail(v.error(), dev);
    seg.signal = *v;
  }
  if (!hooked)
    if (auto s = call_hook(); !s.ok()) return drain_and_fail(s.error(), -1);
  for (size_t t = 0; t < targets_.size(); ++t) {
    Queue& q = queue_of(int32_t(t));
    if (auto s = q.wait(q.last_submitted()); !s.ok()) return drain_and_fail(s.error(), targets_[t].device);
  }
  last_run_ms_ = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  stats_.clear();
  if (timing_) {
    stats_.resize(targets_.size());
    for (size_t t = 0; t < targets_.size(); ++t) {
      stats_[t].device = devices_[size_t(targets_[t].device)].label;
      stats_[t].queue = targets_[t].queue;
      stats_[t].transfer_ms = host_copy_ms[t];
      stats_[t].host_ms = host_ms[t];
      stats_[t].bytes_copied = received[t];
    }
    for (Segment& seg : p.segments) {
      if (seg.host()) continue;
      VKNN_ASSIGN(auto times, seg.list.timings());
      for (size_t i = 0; i < times.size() && i < seg.items.size(); ++i)
        (seg.items[i].kind == ScheduleItem::Kind::node ? stats_[size_t(seg.target)].compute_ms
                                             : stats_[size_t(seg.target)].transfer_ms) += times[i].ms;
    }
    for (auto& st : stats_) st.wait_ms = std::max(0.0, last_run_ms_ - st.compute_ms - st.transfer_ms - st.host_ms);
  }
  return {};
}

Status Executor::set_input(TensorId t, std::span<const float> values) {
  const auto& d = graph_.desc(t);
  if (d.dtype != DType::f32 || int64_t(values.size()) != d.shape.numel())
    return make_error(Errc::invalid_argument, "set_input '{}': {} float values for a tensor of shape {}", d.name,
                      values.size(), d.shape.str());
  return upload_input(t, values.data(), values.size() * 4);
}

Status Executor::set_input(TensorId t, std::span<const int32_t> values) {
  const auto& d = graph_.desc(t);
  if (d.dtype != DType::i32 || int64_t(values.size()) != d.shape.numel())
    return make_error(Errc::invalid_argument, "set_input '{}': {} int32 values for a tensor of shape {}", d.name,
                      values.size(), d.shape.str());
  return upload_input(t, values.data(), values.size() * 4);
}

Status Executor::upload_input(TensorId t, const void* data, size_t bytes) {
  for (size_t dev = 0; dev < devices_.size(); ++dev)  // every device that reads it
    if (refs_[dev][size_t(t.index)].valid())
      if (auto s = devices_[dev].ctx->upload(refs_[dev][size_t(t.index)], data, bytes); !s.ok())
        return on_device(int32_t(dev), s.error());
  return {};
}

Result<bool> Executor::node_done(size_t node, uint64_t timeout_ns) {
  if (!running_) return make_error(Errc::invalid_argument, "node_done: only during StepHook::before_update");
  if (node >= running_->node_segment.size() || running_->node_segment[node] < 0)
    return make_error(Errc::invalid_argument, "node_done: node {} is not part of the training step", node);
  const Segment& seg = running_->segments[size_t(running_->node_segment[node])];
  if (seg.signal == 0) return false;  // not submitted yet
  auto s = queue_of(seg.target).wait(seg.signal, timeout_ns);
  if (s.ok()) return true;
  if (s.error().code == Errc::timeout) return false;
  return on_device(targets_[size_t(seg.target)].device, s.error());
}

Status Executor::run(StepHook* hook) {
  if (!has_backward_) return infer();
  params_.training = 1;
  for (const Node& n : graph_.nodes())
    if (n.phase == Phase::update) n.op->prepare_step(params_);
  VKNN_TRY(run_program(train_, hook));
  last_run_training_ = true;
  prepared_ = false;  // the update changed the parameters
  last_step_skipped_ = false;
  if (graph_.grad_overflow.valid()) {  // the optimizers skipped an overflowed step: it does not count
    VKNN_ASSIGN(const float overflow, read_scalar(graph_.grad_overflow));
    last_step_skipped_ = overflow != 0.0f;
  }
  if (has_update_ && !last_step_skipped_) ++params_.step;
  return {};
}

Status Executor::prepare() {
  if (!has_prepare_ || prepared_) return {};
  params_.training = 0;
  const double ms = last_run_ms_;  // the inference pass's own time, not the preparation's
  VKNN_TRY(staging_bytes_ > 0 ? prepare_staged() : run_program(prepare_));
  last_run_ms_ = ms;
  prepared_ = true;
  return {};
}

Status Executor::infer() {
  VKNN_TRY(prepare());
  params_.training = 0;
  VKNN_TRY(run_program(infer_));
  last_run_training_ = false;
  return {};
}

Result<std::vector<float>> Executor::read(TensorId t) const {
  const auto& d = graph_.desc(t);
  if (!pieces_[size_t(t.index)].empty()) {  // assembled from its slices
    std::vector<float> v(size_t(d.shape.numel()));
    for (size_t i : pieces_[size_t(t.index)]) {
      VKNN_ASSIGN(auto piece, read(TensorId{int32_t(i)}));
      std::copy(piece.begin(), piece.end(), v.begin() + graph_.tensors()[i].slice_offset);
    }
    return v;
  }
  if (staged_[size_t(t.index)]) {
    if (host_values_[size_t(t.index)].empty())
      return make_error(Errc::invalid_argument,
                        "read '{}' {}: a derived tensor only the preparation reads is not kept after it", d.name,
                        d.shape.str());
    return host_values_[size_t(t.index)];
  }
  const BufferRef r = buffer(t);
  if (!r.valid())
    return make_error(Errc::invalid_argument, "read '{}': the tensor is not used by any node", d.name);
  if (!is_persistent(graph_, d))
    return make_error(Errc::invalid_argument,
                      "read '{}': a transient {} shares memory with others after its last use; read persistent tensors",
                      d.name, role_name(d.role));
  std::vector<float> v(size_t(d.shape.numel()));
  const int32_t dev = resident_device(t);
  if (d.dtype == DType::f16) {  // a derived fp16 copy of a weight (precision.h)
    std::vector<uint16_t> h(v.size());
    if (auto s = devices_[size_t(dev)].ctx->download(r, h.data(), h.size() * 2); !s.ok()) return on_device(dev, s.error());
    for (size_t i = 0; i < h.size(); ++i) v[i] = half_to_float(h[i]);
    return v;
  }
  if (auto s = devices_[size_t(dev)].ctx->download(r, v.data(), v.size() * 4); !s.ok()) return on_device(dev, s.error());
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
  if (d.role == Role::derived)
    return make_error(Errc::invalid_argument, "write '{}': a derived tensor is computed from the weights, not written",
                      d.name);
  return upload_home(t, values.data(), values.size() * 4);
}

Result<std::vector<NodeTiming>> Executor::timings() {
  std::vector<NodeTiming> out;
  const auto& nodes = graph_.nodes();
  for (Segment& seg : (last_run_training_ ? train_ : infer_).segments) {
    if (seg.host()) continue;
    VKNN_ASSIGN(auto t, seg.list.timings());
    for (size_t i = 0; i < t.size() && i < seg.items.size(); ++i) {
      const ScheduleItem& item = seg.items[i];
      const Node& n = nodes[item.node];
      out.push_back({t[i].label, n.op->type(), n.phase, t[i].ms,
                     item.kind == ScheduleItem::Kind::node ? n.op->flops(graph_, n) : 0.0});
    }
  }
  return out;
}

Status Executor::upload_home(TensorId t, const void* data, size_t bytes) {
  prepared_ = false;  // derived tensors are computed again before the next inference pass
  for (size_t i : pieces_[size_t(t.index)]) {  // into its slices
    const TensorDesc& piece = graph_.tensors()[i];
    VKNN_TRY(upload_home(TensorId{int32_t(i)}, static_cast<const float*>(data) + piece.slice_offset,
                         size_t(piece.shape.bytes())));
  }
  if (!pieces_[size_t(t.index)].empty()) return {};
  if (staged_[size_t(t.index)]) {  // held on the host until the next preparation
    const float* v = static_cast<const float*>(data);
    host_values_[size_t(t.index)].assign(v, v + bytes / 4);
    return {};
  }
  const int32_t dev = resident_device(t);
  if (auto s = devices_[size_t(dev)].ctx->upload(buffer(t), data, bytes); !s.ok()) return on_device(dev, s.error());
  return {};
}

}  // namespace vknn
