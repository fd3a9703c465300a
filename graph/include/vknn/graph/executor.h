// The executor: plans memory for a graph, records its whole schedule into command lists
// once, and replays them every step. Per step only the inputs are uploaded and only the
// outputs (loss, metrics) are read back. A graph placed on several targets (placement.h)
// runs on several devices or queues: each target's share is cut into segments (schedule.h),
// one command list each, synchronized by timeline semaphores.
#pragma once

#include "vknn/graph/graph.h"
#include "vknn/graph/memory_plan.h"
#include "vknn/graph/safetensors.h"
#include "vknn/graph/schedule.h"

#include <filesystem>
#include <map>
#include <set>
#include <span>

namespace vknn {

class TransferOp;

// Where a graph target runs: a device and one of its queues. Two targets may share a
// device (two queues, or one queue) or sit on two devices, of any vendors.
struct ExecutionTarget {
  Context* context = nullptr;  // null: the Context given to Executor::create
  uint32_t queue = 0;          // index into the context's queues
};

struct ExecutorOptions {
  bool timing = false;     // per-node timestamps (and per-target compute/transfer/wait shares)
  uint64_t seed = 1;       // parameter initialization and dropout masks
  float learning_rate = 0.01f;
  // One entry per graph target (Node::target). Empty: everything on the Context given to
  // create, queue 0. A single entry runs every target there too.
  std::vector<ExecutionTarget> targets;
  // Between two devices: share one host allocation imported on both sides
  // (VK_EXT_external_memory_host) where both support it; otherwise, or when false, each
  // side gets its own host-visible buffer and the host copies between them.
  bool import_host_memory = true;
  // Between devices, a tensor larger than this moves in chunks of this size, each its own
  // submission on both sides, so the receiver starts on one chunk while the sender copies
  // the next.
  uint64_t transfer_chunk_bytes = 4ull << 20;
  // Nodes after which the training step ends a segment (a submission of its own that
  // signals its queue's timeline), so that a StepHook can learn when they are done
  // (node_done). When not empty, the update nodes are also cut off from the backward pass,
  // so that the hook runs between the two. Data-parallel training cuts after the last
  // writer of each gradient bucket.
  std::vector<size_t> cut_after;
  // Data-parallel: the position of this executor's batch (a rank's slice) in the global
  // batch. Dropout keys its masks by the sample's position in the global batch, so that N
  // ranks draw the masks one process at the global batch would.
  int64_t batch_offset = 0;
  // What host nodes (OpNode::host) use to combine values over the processes of a
  // data-parallel job; it must outlive the executor. Null: this process alone.
  HostCollective* collective = nullptr;
};

class Executor;

// Host work inside a training step: data-parallel training reduces the gradients over
// processes here. Called once per run(), after every segment before the first update
// node has been submitted and before any update is submitted (after the last segment if
// the graph has no update nodes). It may poll or wait for nodes (Executor::node_done) and
// read and write persistent tensors; the update then sees what it wrote. An error stops
// the step (what was submitted is drained) and run() returns it.
class StepHook {
 public:
  virtual ~StepHook() = default;
  virtual Status before_update(Executor& ex) = 0;
};

// How one target spent the last run (filled when ExecutorOptions::timing is on).
struct TargetStats {
  std::string device;       // "device 1 (llvmpipe ...)"
  uint32_t queue = 0;
  double compute_ms = 0;    // its nodes, from timestamps
  double transfer_ms = 0;   // its copies to and from host-visible memory, plus host copies into it
  double host_ms = 0;       // host nodes: waiting for the device before them, copies, the host work
  double wait_ms = 0;       // the rest of the step: idle, waiting for the other target or the host
  uint64_t bytes_copied = 0;  // bytes it received from another device this run
};

struct NodeTiming {
  std::string name;
  std::string type;
  Phase phase;
  double ms = 0;
  double flops = 0;
};

// The values a parameter or state tensor starts with in an executor made with this seed
// (ExecutorOptions::seed): its Init, drawn from the seed and the tensor's name. No device is
// needed, so a tool can write a model's initial weights without one.
std::vector<float> initial_values(const TensorDesc& d, uint64_t seed);

class Executor {
 public:
  // Plans, allocates, initializes parameters and state (Init, drawn from the seed), and
  // records. The graph must not change afterwards.
  static Result<std::unique_ptr<Executor>> create(Context& ctx, const Graph& graph, ExecutorOptions options = {});
  ~Executor();

  Status set_input(TensorId t, std::span<const float> values);
  Status set_input(TensorId t, std::span<const int32_t> values);
  // One training step: forward, backward and update (a graph without backward nodes runs
  // its forward pass in inference mode instead).
  Status run(StepHook* hook = nullptr);
  // During StepHook::before_update only: whether node `node` (and everything recorded
  // before it on its target) has finished, waiting up to timeout_ns (0: just look). A node
  // whose segment is not submitted yet is not done.
  Result<bool> node_done(size_t node, uint64_t timeout_ns = 0);
  // The forward nodes only, in inference mode (batch norm uses running statistics, dropout
  // is the identity). Parameters are not touched. First, if the parameters or state were
  // written since the last time (created, loaded, written, trained), the prepare nodes
  // (Phase::prepare) compute the derived tensors from them (optimize.h).
  Status infer();
  bool has_backward() const { return has_backward_; }
  // Records the forward nodes, in inference mode, into a list the caller has begun and
  // will end (a secondary list that a host command buffer executes, for example). The
  // recorded commands read the StepParams buffer, which this call sets to inference
  // mode; run() sets it back to training, so do not interleave run() with replays of such
  // a list. The prepare nodes run (once, now) before it is recorded: write no weights while
  // such a list is in use. Single-target executors only.
  Status record_inference(CommandList& list);

  Result<std::vector<float>> read(TensorId t) const;
  Result<float> read_scalar(TensorId t) const;
  Status write(TensorId t, std::span<const float> values);

  uint32_t step() const { return params_.step; }
  void set_step(uint32_t s) { params_.step = s; }
  float learning_rate() const { return params_.learning_rate; }
  void set_learning_rate(float lr) { params_.learning_rate = lr; }
  // Mixed precision (StepParams::loss_scale): the loss's gradient is multiplied by it and the
  // optimizers divide it out. 1 unless set; a power of two keeps fp32 training bit-identical.
  float loss_scale() const { return params_.loss_scale; }
  void set_loss_scale(float s) { params_.loss_scale = s; }
  // Whether the last run()'s gradients held an inf or a NaN, so that its update changed
  // nothing and the step count stayed (only where the graph has an overflow check,
  // add_overflow_check in vknn/ops/grad_check.h; false otherwise).
  bool last_step_skipped() const { return last_step_skipped_; }
  uint64_t seed() const { return seed_; }

  // The memory plan of target 0's transient memory, and persistent bytes over all devices.
  const MemoryPlan& plan() const { return targets_.at(0).plan; }
  uint64_t persistent_bytes() const { return persistent_bytes_; }
  // Planned device memory over all devices (persistent plus every target's transient peak).
  uint64_t planned_bytes() const;
  // An inference-only executor on one target holds on the host the weights that only the
  // prepare nodes read (parameters and state, and the derived tensors only other prepare
  // nodes read: an fp32 folded weight of which the forward pass reads an fp16 copy); each
  // preparation puts them into a temporary device buffer of this many bytes, runs the prepare
  // nodes and frees it (executor_staging.cpp). They are not in persistent_bytes; read(),
  // write() and checkpoints see the host values, buffer() has none. 0: nothing is staged.
  uint64_t staging_bytes() const { return staging_bytes_; }

  size_t target_count() const { return targets_.size(); }
  // Per target, of the last run (empty unless options.timing).
  const std::vector<TargetStats>& target_stats() const { return stats_; }
  // Wall time of the last run() or infer(), host side.
  double last_run_ms() const { return last_run_ms_; }
  // Bytes copied between devices per training step (or inference pass): the transfers
  // whose two ends are on different devices. Transfers within one device alias memory.
  uint64_t bytes_copied_per_run(bool training) const;
  // Per-node times of the last run (empty unless options.timing).
  Result<std::vector<NodeTiming>> timings();

  // Parameters, state (momentum, running statistics), the step and the seed, as
  // safetensors, written atomically.
  Status save_checkpoint(const std::filesystem::path& path) const;
  // The same checkpoint as bytes, with `metadata` added to the header; weights_only leaves
  // out the optimizer's state (momentum), as for deployment.
  Result<std::vector<uint8_t>> checkpoint_bytes(const std::map<std::string, std::string>& metadata = {},
                                                bool weights_only = false) const;
  // Checks every name, shape and dtype against the graph; a mismatch names the tensor.
  Status load_checkpoint(const std::filesystem::path& path);
  Status load_checkpoint(const SafetensorsFile& file);
  // Loads parameters and state only (e.g. weights saved from PyTorch); tensors named in the
  // file but absent from the graph are an error unless `allow_extra`. Tensors named in
  // `keep` keep their values (a new classifier when fine-tuning).
  Status load_weights(const std::filesystem::path& path, bool allow_extra = false,
                      const std::set<std::string>& keep = {});
  // The same in two steps, the first without a device: read_weights reads and checks the
  // file against graph `g` (every error load_weights would give), so that a tool can refuse
  // a wrong file before it opens a device; load_weights uploads the result. `g` must be the
  // graph this executor was made from.
  struct HostWeights {
    std::vector<std::pair<TensorId, std::vector<float>>> tensors;
  };
  static Result<HostWeights> read_weights(const Graph& g, const std::filesystem::path& path, bool allow_extra = false,
                                          const std::set<std::string>& keep = {});
  Status load_weights(const HostWeights& weights);

  const Graph& graph() const { return graph_; }
  // A tensor's memory on the device that owns it (for inputs, the first device holding one).
  BufferRef buffer(TensorId t) const;

 private:
  struct Device {
    Context* ctx = nullptr;
    std::string label;
    Buffer persistent;
    BufferRef step;
  };
  struct Target {
    int32_t device = 0;
    uint32_t queue = 0;
    Buffer transient;
    MemoryPlan plan;
  };
  // One segment of the schedule (schedule.h): its command buffer and the timeline value of
  // its last submission.
  struct Segment : ScheduleSegment {
    CommandList list;  // not recorded for a host node's segment
    uint64_t signal = 0;
    bool host() const { return items.size() == 1 && items[0].kind == ScheduleItem::Kind::host; }
  };
  struct Program {
    std::vector<Segment> segments;     // in submission order
    std::vector<int32_t> node_segment;  // per node: the segment recording it, -1 if none
    std::vector<int8_t> has_update;     // per segment: holds an update node
  };
  // Host-visible memory a transfer between two devices goes through.
  struct Bridge {
    std::shared_ptr<void> host;  // the imported host allocation (declared first: freed last)
    Buffer src, dst;             // on the sending and the receiving device
    uint64_t bytes = 0;
    std::vector<std::pair<uint64_t, uint64_t>> chunks;  // (offset, bytes)
    bool shared() const { return host != nullptr; }
  };

  Executor(Context& ctx, const Graph& g) : ctx_(ctx), graph_(g) {}
  Status resolve_targets(const ExecutorOptions& options);
  Status check_half_storage() const;
  Status allocate();
  // Weights staged on the host for the prepare nodes (executor_staging.cpp): which, where in
  // the temporary buffer; their first values; one preparation through that buffer.
  void plan_staging(const std::vector<int8_t>& crosses);
  Status stage_initial_values(size_t i);
  Status prepare_staged();
  Status initialize();
  Status record();
  Status build_program(Program& p, bool training, bool prepare = false);
  // Runs the prepare nodes (derived tensors, Phase::prepare) if the weights changed since.
  Status prepare();
  Status record_items(CommandList& list, const Segment& seg, bool training);
  Status run_program(Program& p, StepHook* hook = nullptr);
  // Runs the host node of segment `s` once everything before it is done (executor_host.cpp).
  Status run_host_segment(Program& p, size_t s);
  Error on_device(int32_t device, const Error& e) const;
  Queue& queue_of(int32_t target) const;
  int32_t device_of_node(size_t k) const { return targets_[size_t(node_target_[k])].device; }
  BufferRef ref(int32_t device, TensorId t) const;
  // The view a node binds: the tensor's memory on `device`, as a channel slice of its parent
  // where it is one (TensorDesc::channel_slice_of).
  TensorView view(int32_t device, TensorId t) const;
  int32_t resident_device(TensorId t) const;
  Status upload_home(TensorId t, const void* data, size_t bytes);
  Status upload_input(TensorId t, const void* data, size_t bytes);
  // Waits until nothing of this executor runs on any target (lost devices are skipped).
  void drain(uint64_t timeout_ns = UINT64_MAX) const;
  // The target a transfer node's data comes from, after mapping onto this executor's targets.
  int32_t source_target(const TransferOp& tr) const;

  Context& ctx_;
  Graph graph_;
  uint64_t seed_ = 1;
  int64_t batch_offset_ = 0;
  bool timing_ = false;
  bool import_host_ = true;
  uint64_t chunk_bytes_ = 4ull << 20;
  StepParams params_;
  std::vector<Device> devices_;
  std::vector<Target> targets_;
  std::vector<int32_t> node_target_;             // per node, resolved to targets_
  std::vector<std::vector<BufferRef>> refs_;     // [device][tensor]
  std::vector<int32_t> home_device_;             // per tensor; -1 for inputs (on every device using them)
  std::vector<int32_t> root_;                    // per tensor: the tensor whose memory it uses
                                                 // (a transfer's source, a channel slice's parent)
  std::vector<BufferRef> workspaces_;            // per node
  std::map<size_t, Bridge> bridges_;             // per transfer node between devices
  std::vector<int8_t> alias_;                    // per node: a transfer that only aliases memory
  std::vector<std::vector<size_t>> pieces_;      // per tensor: its slices (TensorDesc::slice_of)
  uint64_t persistent_bytes_ = 0;
  std::vector<int8_t> staged_;                   // per tensor: held on the host (staging_bytes)
  std::vector<uint64_t> staging_offset_;         // per staged tensor: its place in the staging buffer
  std::vector<std::vector<float>> host_values_;  // per staged parameter or state: its values
  uint64_t staging_bytes_ = 0;
  bool has_backward_ = false, has_update_ = false, last_run_training_ = false, last_step_skipped_ = false;
  Program train_, infer_, prepare_;
  bool has_prepare_ = false, prepared_ = false;
  std::vector<TargetStats> stats_;
  double last_run_ms_ = 0;
  std::vector<size_t> cut_after_;
  Program* running_ = nullptr;  // the program whose hook is being called
  HostCollective* collective_ = nullptr;
};

}  // namespace vknn
