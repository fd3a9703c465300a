// The executor: plans memory for a graph, records its whole schedule into command lists
// once, and replays them every step. Per step only the inputs are uploaded and only the
// outputs (loss, metrics) are read back.
#pragma once

#include "vknn/graph/graph.h"
#include "vknn/graph/memory_plan.h"

#include <filesystem>
#include <span>

namespace vknn {

struct ExecutorOptions {
  bool timing = false;     // per-node timestamps
  uint64_t seed = 1;       // parameter initialization and dropout masks
  float learning_rate = 0.01f;
};

struct NodeTiming {
  std::string name;
  std::string type;
  Phase phase;
  double ms = 0;
  double flops = 0;
};

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
  Status run();
  // The forward nodes only, in inference mode (batch norm uses running statistics, dropout
  // is the identity). Parameters are not touched.
  Status infer();
  bool has_backward() const { return has_backward_; }
  // Records the forward nodes, in inference mode, into a list the caller has begun and
  // will end (a secondary list that a host command buffer executes, for example). The
  // recorded commands read the StepParams buffer, which this call sets to inference
  // mode; run() sets it back to training, so do not interleave run() with replays of such
  // a list. Single-target executors only.
  Status record_inference(CommandList& list);

  Result<std::vector<float>> read(TensorId t) const;
  Result<float> read_scalar(TensorId t) const;
  Status write(TensorId t, std::span<const float> values);

  uint32_t step() const { return params_.step; }
  void set_step(uint32_t s) { params_.step = s; }
  float learning_rate() const { return params_.learning_rate; }
  void set_learning_rate(float lr) { params_.learning_rate = lr; }
  uint64_t seed() const { return seed_; }

  const MemoryPlan& plan() const { return plan_; }
  uint64_t persistent_bytes() const { return persistent_bytes_; }
  // Per-node times of the last run (empty unless options.timing).
  Result<std::vector<NodeTiming>> timings();

  // Parameters, state (momentum, running statistics), the step and the seed, as
  // safetensors, written atomically.
  Status save_checkpoint(const std::filesystem::path& path) const;
  // Checks every name, shape and dtype against the graph; a mismatch names the tensor.
  Status load_checkpoint(const std::filesystem::path& path);
  // Loads parameters and state only (e.g. weights saved from PyTorch); tensors named in the
  // file but absent from the graph are an error unless `allow_extra`.
  Status load_weights(const std::filesystem::path& path, bool allow_extra = false);

  const Graph& graph() const { return graph_; }
  BufferRef buffer(TensorId t) const { return refs_.at(size_t(t.index)); }

 private:
  Executor(Context& ctx, const Graph& g) : ctx_(ctx), graph_(g) {}
  Status allocate();
  Status initialize();
  Status record();
  Status record_list(CommandList& list, bool training);
  Status record_nodes(CommandList& list, bool training);

  Context& ctx_;
  Graph graph_;
  uint64_t seed_ = 1;
  bool timing_ = false;
  StepParams params_;
  Buffer persistent_, transient_;
  std::vector<BufferRef> refs_;
  std::vector<BufferRef> workspaces_;  // per node
  BufferRef step_ref_;
  MemoryPlan plan_;
  uint64_t persistent_bytes_ = 0;
  bool has_backward_ = false, has_update_ = false, last_run_training_ = false;
  CommandList train_list_, infer_list_;
};

}  // namespace vknn
