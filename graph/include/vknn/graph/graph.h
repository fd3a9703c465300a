// A model is a graph of ops over tensors. Op builder functions (one per op file, e.g.
// `conv2d(Graph&, ...)`) infer output shapes and refuse wrong wiring as it is added: the
// graph records the first refusal (an error naming the node and the shapes), and from then
// on builders add nothing and return invalid ids, so a caller that builds from untrusted
// input (an imported model) checks Graph::status() once at the end. Autodiff (autodiff.h) appends the backward nodes;
// the executor (executor.h) plans memory and records the whole schedule once.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/tensor.h"

#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace vknn {

enum class Role {
  input,       // uploaded each step (images, labels)
  parameter,   // persistent, trainable unless frozen
  activation,  // transient: produced and consumed within a step
  gradient,    // d(loss)/d(tensor); persistent for parameters, transient otherwise
  state,       // persistent non-trainable: optimizer momentum, BN running statistics
  output,      // persistent results read back after a step (loss, metrics)
  derived,     // persistent, computed from parameters and state by prepare nodes (folded
               // weights, optimize.h); never saved, loaded or written
};
const char* role_name(Role r);

// prepare: nodes that compute derived tensors from parameters and state; the executor runs
// them once before an inference pass whenever the weights have changed since the last time.
enum class Phase { forward, backward, update, prepare };
const char* phase_name(Phase p);

struct TensorId {
  int32_t index = -1;
  bool valid() const { return index >= 0; }
  bool operator==(const TensorId&) const = default;
};

// How the executor fills a parameter or state tensor when it is created. Values are drawn
// deterministically from (seed, tensor name), so a run is reproducible.
struct Init {
  enum class Kind { zeros, constant, normal, uniform, values } kind = Kind::zeros;
  float value = 0;  // constant
  float stddev = 0; // normal: N(0, stddev^2)
  float bound = 0;  // uniform: U(-bound, bound)
  // values: the elements themselves, in row-major order (weights that came with an imported
  // model). Shared, so copying the graph (the executor keeps its own) copies no weights.
  std::shared_ptr<const std::vector<float>> data;
  static Init zeros() { return {}; }
  static Init constant(float v) { return {Kind::constant, v, 0, 0}; }
  static Init normal(float stddev) { return {Kind::normal, 0, stddev, 0}; }
  static Init uniform(float bound) { return {Kind::uniform, 0, 0, bound}; }
  static Init values(std::shared_ptr<const std::vector<float>> v) { return {Kind::values, 0, 0, 0, std::move(v)}; }
};

struct TensorDesc {
  std::string name;
  Shape shape;
  DType dtype = DType::f32;
  Role role = Role::activation;
  bool frozen = false;    // parameters: no gradient, no update
  Init init;              // parameters and state
  TensorId grad;          // its gradient tensor, once autodiff made one
  TensorId grad_of;       // for a gradient: the tensor it is the gradient of
  int32_t producer = -1;  // node that writes it (forward), -1 for inputs/parameters/state
  // A parameter or state tensor that is one contiguous piece of another, from element
  // `slice_offset` on (a placement policy that splits a layer across targets makes them).
  // The whole tensor is used by no node; checkpoints, read and write address it by its own
  // name, and its pieces start from its initial values, so a split graph saves, loads and
  // initializes like the unsplit one.
  TensorId slice_of;
  int64_t slice_offset = 0;
  // An activation that is channels [channel_offset, channel_offset + shape[1]) of the
  // activation `channel_slice_of` (the same batch and spatial dims), with no memory of its
  // own: its producer writes straight into that tensor, whose memory plan covers it (the
  // inference optimizer's concat without a copy, optimize.h). Only ever written, by a node
  // whose op accepts a slice (OpNode::writes_channel_slice); the executor refuses any other use.
  TensorId channel_slice_of;
  int64_t channel_offset = 0;
  uint64_t bytes() const { return uint64_t(shape.numel()) * dtype_bytes(dtype); }
};

// Values that change every step without re-recording. Shaders that need them read this
// small buffer (binding it like any other input).
struct StepParams {
  uint32_t step = 0;         // optimizer steps taken so far (dropout masks depend on it)
  uint32_t seed_lo = 0, seed_hi = 0;
  float learning_rate = 0.01f;
  float loss_scale = 1.0f;   // the loss's gradient is scaled by it and the updates divide it out
  uint32_t training = 1;     // 0 in inference mode
  // AdamW's bias corrections of the step being taken (t = step + 1): 1 - beta1^t and
  // sqrt(1 - beta2^t), computed in double on the host by OpNode::prepare_step.
  float bias_correction1 = 1.0f, bias_correction2_sqrt = 1.0f;
};
static_assert(sizeof(StepParams) == 32);

// Buffers of one node, resolved by the executor.
struct NodeIO {
  std::vector<TensorView> in, out;
  BufferRef step;         // the StepParams buffer
  BufferRef workspace;    // scratch of OpNode::workspace_bytes, live during this node only
  bool training = true;   // false when recording the inference pass (BN running stats, no dropout)
  // Where this executor's batch begins in the global batch (ExecutorOptions::batch_offset).
  int64_t batch_offset = 0;
};

class Graph;
class BackwardBuilder;
struct Node;

// Collective operations over the processes of a data-parallel job, for host nodes (below)
// that combine what every process computed (synchronized batch normalization). The graph
// knows no MPI: the layer that runs several processes supplies one (dist/), and an executor
// given none runs as the only process.
class HostCollective {
 public:
  virtual ~HostCollective() = default;
  virtual int size() const = 0;
  // Every process's `mine` (the same length on all), rank after rank, into `all`
  // (size() * mine.size() values). Values travel exactly, so a sum over them taken in rank
  // order is the same on every process. `what` names the collective in errors.
  virtual Status allgather(std::span<const double> mine, std::span<double> all, const std::string& what) = 0;
};

// The buffers of a host node, copied to the host before it runs and back after.
struct HostIO {
  std::vector<std::span<const float>> in;
  std::vector<std::span<float>> out;
  HostCollective* collective = nullptr;  // never null (a single process when none was given)
};

// The op-specific part of a node: recording and the gradient rule.
class OpNode {
 public:
  virtual ~OpNode() = default;
  virtual const char* type() const = 0;
  virtual Status record(CommandList& cl, const NodeIO& io) const = 0;
  // Appends the nodes computing gradients of the inputs that need one. The default
  // refuses: an op without a gradient cannot sit between the loss and a parameter.
  virtual Status backward(BackwardBuilder& b) const;
  // Scratch memory the node needs while it runs (planned like a transient tensor).
  virtual Result<uint64_t> workspace_bytes(const Context&, const Graph&, const Node&) const { return uint64_t(0); }
  // Floating-point operations of one execution, for benchmarks (0 if not meaningful).
  virtual double flops(const Graph&, const Node&) const { return 0; }
  // Called by the executor before each training step's StepParams reach the device, with
  // sp.step the steps taken so far: an update whose per-step scalars are not expressible in
  // fp32 on the device (AdamW's bias corrections) fills its fields here.
  virtual void prepare_step(StepParams&) const {}
  // A host node runs on the host inside a step: the executor ends the segment before it,
  // waits for it, copies the node's inputs to the host, calls run_host, copies its outputs
  // back and goes on. record() is not called for it.
  virtual bool host() const { return false; }
  virtual Status run_host(const HostIO&) const;
  // Nodes the inference pass leaves out (the statistics of a synchronized batch norm,
  // which uses running statistics there).
  virtual bool training_only() const { return false; }
  // Whether the node can write its only output as a channel slice of a larger tensor
  // (TensorView::parent_channels), so that a concat of such outputs needs no copy.
  virtual bool writes_channel_slice(const Node&) const { return false; }
  // Whether record() also takes fp16 views (TensorView::dtype) of all its float inputs and
  // outputs, for an fp16 inference graph (precision.h); int32 tensors stay as they are.
  virtual bool half_storage() const { return false; }
  // For a node with half_storage: whether its float input (output when `output`) `index` is
  // one of those fp16 views; false for a tensor it reads or writes in fp32 whatever the
  // others are (batch norm's per-channel parameters and statistics).
  virtual bool half_tensor(bool /*output*/, size_t /*index*/) const { return true; }
  // For a backward node: whether record() also takes an fp16 view of its input `index`, a
  // forward tensor it reads (fp16 training, cast_backward_reads); the gradients stay fp32.
  // The inputs for which this holds are either all fp16 or all fp32.
  virtual bool half_backward_reads(size_t /*index*/) const { return false; }
};

struct Node {
  std::string name;
  std::shared_ptr<const OpNode> op;
  std::vector<TensorId> inputs, outputs;
  Phase phase = Phase::forward;
  // Where the node runs: an index into the executor's targets, each a (device, queue). A
  // backward node runs where its forward node ran; an update where its parameter lives.
  // Edges between targets go through transfer nodes (placement.h).
  int32_t target = 0;
};

// What a refused builder returns: an invalid id (or no ids), or, from a function that
// returns a Status, the graph's first error.
struct Refusal {
  Error error;
  operator TensorId() const { return {}; }
  operator std::vector<TensorId>() const { return {}; }
  operator Status() const { return error; }
};

class Graph {
 public:
  // The first wiring error, or ok. Once it is set the graph is unusable: builders return
  // invalid ids and the executor refuses it.
  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  // Records `e` as the graph's error unless one is recorded already.
  Refusal refuse(Error e);
  // Whether a builder of `what` may go on: the graph has no error and each id names one of
  // its tensors (otherwise an error naming `what` is recorded).
  bool accepts(std::initializer_list<TensorId> ids, std::string_view what);

  // Each returns an invalid id, recording an error, for a non-positive size or a name in use
  // (or an Init::values whose element count is not the shape's).
  TensorId input(std::string name, Shape shape, DType dtype = DType::f32);
  TensorId parameter(std::string name, Shape shape, Init init, bool frozen = false);
  TensorId state(std::string name, Shape shape, Init init = Init::zeros());
  TensorId tensor(std::string name, Shape shape, Role role, DType dtype = DType::f32);

  // Adds a node that writes `outputs` (which must not have a producer yet), on the current
  // target (set_target). Refused (recorded, nothing added) for invalid ids or a second writer.
  void add_node(std::string name, std::shared_ptr<const OpNode> op, std::vector<TensorId> inputs,
                std::vector<TensorId> outputs, Phase phase = Phase::forward);
  // Inserts a node at position `pos` of the schedule (before the node now there).
  void insert_node(size_t pos, Node node);
  // Node placement: nodes added from now on run on `target` (0 by default).
  void set_target(int32_t target);
  int32_t current_target() const { return target_; }
  void set_node_target(size_t node, int32_t target);
  void set_node_inputs(size_t node, std::vector<TensorId> inputs);
  // 1 + the highest target any node uses.
  int32_t target_count() const;

  const TensorDesc& desc(TensorId t) const;
  TensorDesc& desc(TensorId t);
  const Shape& shape(TensorId t) const { return desc(t).shape; }
  // Deques: appending a tensor or a node leaves references to the others valid, so a
  // builder may hold `const Shape& s = g.shape(x)` while it adds tensors.
  // (insert_node, which places a node mid-schedule, invalidates references to nodes.)
  const std::deque<TensorDesc>& tensors() const { return tensors_; }
  const std::deque<Node>& nodes() const { return nodes_; }
  TensorId find(const std::string& name) const;  // invalid if absent
  std::vector<TensorId> parameters() const;      // in creation order

  // "conv1", "conv1_1", ...: names are unique so checkpoints can address them.
  std::string unique_name(const std::string& base) const;

  // The loss tensor and its metrics (set by the loss op's builder).
  TensorId loss, top1, top5, invalid_labels;
  // Nonzero after a step whose gradients held an inf or a NaN, when the graph checks them
  // (add_overflow_check, vknn/ops/grad_check.h); the optimizers then skip the update.
  TensorId grad_overflow;

 private:
  void index_producers();
  std::deque<TensorDesc> tensors_;
  std::deque<Node> nodes_;
  std::unordered_map<std::string, int32_t> tensor_index_;  // name -> tensor
  std::unordered_set<std::string> node_names_;
  int32_t target_ = 0;
  Status status_;
};

// In a builder (or a gradient rule): refuses wiring unless `cond` holds, recording an
// Errc::invalid_argument error formatted from the rest, and returns the Refusal.
#define VKNN_GRAPH_CHECK(g, cond, ...)                                                         \
  do {                                                                                         \
    if (!(cond)) return (g).refuse(::vknn::make_error(::vknn::Errc::invalid_argument, __VA_ARGS__)); \
  } while (0)

// The interface an op's backward rule uses (see autodiff.h).
class BackwardBuilder {
 public:
  BackwardBuilder(Graph& g, Node node, std::vector<int8_t>& requires_grad, std::vector<int8_t>& grad_written)
      : g_(g), node_(std::move(node)), requires_grad_(requires_grad), grad_written_(grad_written) {}
  Graph& graph() { return g_; }
  const Node& node() const { return node_; }
  TensorId input(size_t i) const { return node_.inputs.at(i); }
  TensorId output(size_t i) const { return node_.outputs.at(i); }
  // Gradient flowing into output i, or invalid if none does.
  TensorId grad_output(size_t i) const;
  // Whether input i needs a gradient (it depends on a trainable parameter).
  bool needs_grad(size_t i) const;
  // Where to write input i's gradient. The first contributor overwrites (accumulate =
  // false); later ones, as on a residual shortcut, must add to it (accumulate = true).
  struct GradTarget {
    TensorId tensor;
    bool accumulate = false;
  };
  GradTarget grad_input(size_t i);
  // A transient tensor for backward intermediates.
  TensorId temp(const std::string& suffix, Shape shape, DType dtype = DType::f32);
  void add_node(const std::string& suffix, std::shared_ptr<const OpNode> op, std::vector<TensorId> inputs,
                std::vector<TensorId> outputs);

 private:
  Graph& g_;
  Node node_;  // a copy: adding nodes may move the graph's node list
  std::vector<int8_t>& requires_grad_;
  std::vector<int8_t>& grad_written_;
};

}  // namespace vknn
