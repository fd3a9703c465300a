// vknn embedding API, C++ (library vknn, shared). Runs a CNN (AlexNet, ResNets, CIFAR
// nets, LeNet, an ONNX file, or a network defined in code with vknn/network.hpp) for
// inference on a Vulkan device that vknn creates or that the host lends.
// Every call that fails throws vknn::api::Error; code() is a vknn_status value (vknn.h).
// See docs/embedding.md for the full contract; the essentials are repeated here.
//
// Ownership and lifetimes
//   - Context::borrow: the host keeps ownership of its instance, physical device, device
//     and queue. They must outlive the Context: until destroy() returns or, without
//     destroy(), until the last Context and Session handle made from it is gone. vknn never
//     destroys them and leaves no object of its own on the device.
//   - Context and Session are cheap handles to shared state (copies refer to the same
//     object). A Session keeps its Context's state alive; Context::destroy() ends it early:
//     it waits for the device to be idle, releases every Vulkan object of the context and of
//     all its sessions, and later calls on those sessions throw VKNN_ERROR_INVALID_STATE.
//     Destroying (or dropping) such a session afterwards is fine.
//
// Threading
//   - Every call is thread-safe. Calls on one Session are serialized (the session has one
//     set of buffers); sessions of one Context run concurrently. destroy() waits for calls
//     in flight on the context and its sessions.
//   - vknn submits to the lent queue (run(), session creation). Vulkan requires external
//     synchronization of a VkQueue, so when the host also submits to it, the host passes
//     lock_queue/unlock_queue, which vknn calls around each of its vkQueueSubmit calls.
#pragma once

#include "vknn/vknn.h"  // vknn_status (the codes of Error::code()) and VKNN_API

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace vknn::api {

// Thrown by every call that fails. code() is one of the vknn_status values of vknn.h.
class VKNN_API Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what);
  int code() const;

 private:
  int code_;
};

// What the host application lends (it keeps ownership). Vulkan cannot report what the
// host enabled on its device, so the host states it here.
struct HostDevice {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  uint32_t api_version = VK_API_VERSION_1_2;  // apiVersion the host created its instance with (>= 1.2)
  std::vector<std::string> enabled_device_extensions;
  bool timeline_semaphore_enabled = false;  // VkPhysicalDeviceVulkan12Features::timelineSemaphore (required)
  uint32_t queue_family = 0, queue_index = 0;  // a queue with VK_QUEUE_COMPUTE_BIT
  // Called around vknn's vkQueueSubmit on a shared queue. Both empty: vknn assumes the
  // host never submits to that queue concurrently with vknn.
  std::function<void()> lock_queue, unlock_queue;
};

class Session;
class Trainer;

class VKNN_API Context {
 public:
  // Adopts the host's device. Refuses (throws) a device without timeline semaphores or an
  // api_version below 1.2 (VKNN_ERROR_UNSUPPORTED), null handles or a queue that does not
  // exist (VKNN_ERROR_INVALID_ARGUMENT), a queue family without VK_QUEUE_COMPUTE_BIT
  // (VKNN_ERROR_UNSUPPORTED), and only one of lock_queue/unlock_queue (INVALID_ARGUMENT).
  static Context borrow(const HostDevice& host);
  static Context create(int device_index = -1);  // vknn owns the device; -1 = best device
  // Explicit end; sessions made from it become unusable (their calls throw
  // VKNN_ERROR_INVALID_STATE "session used after its context was destroyed"; destroying
  // them afterwards is fine). Waits for calls in flight and for vknn's own submissions,
  // then releases every Vulkan object vknn made (those of all its sessions included). The
  // host must first wait for its own submissions that execute a session's recording.
  // A borrowed device stays valid and usable by the host. Idempotent.
  void destroy();
  std::string device_name() const;
  // The device vknn runs on (the host's own when borrowed). Null after destroy().
  VkDevice device() const;
  uint32_t queue_family() const;
  bool valid() const;  // false after destroy()

  Context();  // an empty handle; every call but destroy() throws
  ~Context();
  Context(const Context&);
  Context& operator=(const Context&);
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;

  struct State;  // internal

 private:
  friend class Session;
  friend class Trainer;
  explicit Context(std::shared_ptr<State> s);
  std::shared_ptr<State> state_;
};

struct ModelSpec {
  // As `vknn bench --model`: alexnet, resnet18, resnet34, resnet50, cifar-resnet20|32|44|56,
  // cifar-plain20|32|44|56, lenet, lenet-wide, or the path of an ONNX file (ending in .onnx;
  // external data files beside it). Unknown: VKNN_ERROR_INVALID_ARGUMENT. An ONNX file fixes
  // its own classes, input size and weights: classes, input_size, width and seed are not
  // used for it. It must have one runtime input (N,C,H,W) and its first output must be
  // (N,classes) (otherwise VKNN_ERROR_UNSUPPORTED); a node vknn cannot import is
  // VKNN_ERROR_UNSUPPORTED with every such node listed, a malformed file VKNN_ERROR_PARSE.
  std::string name = "alexnet";
  int classes = 1000;  // 0 = model default (1000 for the ImageNet nets, 10 for cifar nets and lenet)
  int input_size = 0;  // square side; 0 = model default (alexnet 227, >= 67; resnets 224, >= 32;
                       // cifar nets 32, a multiple of 4; lenet 28 only)
  float width = 1.0f;  // channel multiplier: alexnet and lenet only (others: 1)
  uint64_t seed = 1;
};

struct BufferSpan {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;
};

class Network;  // vknn/network.hpp

class VKNN_API Session {
 public:
  // weights: a safetensors file (names as `vknn train` writes them); empty = random weights from spec.seed
  static Session create(Context& ctx, const ModelSpec& spec, const std::string& weights, int batch);
  // From an ONNX file's bytes in memory (copied as needed; `data` may be freed on return), as
  // ModelSpec describes for an .onnx path; the model must keep its weights inside (no
  // external data files). weights: a safetensors file overriding them by ONNX names; empty =
  // the file's. Errors name the bytes "<ONNX bytes>".
  static Session create_from_onnx(Context& ctx, const void* data, size_t size, const std::string& weights, int batch);
  // A network defined in code (vknn/network.hpp), built at `batch`; weights: a safetensors file
  // with its parameters' names, empty = PyTorch's default initialization drawn from `seed`.
  static Session create(Context& ctx, const Network& network, const std::string& weights, int batch,
                        uint64_t seed = 1);
  std::vector<int64_t> input_shape() const;   // {N, C, H, W}, fp32
  std::vector<int64_t> output_shape() const;  // {N, classes}, fp32 logits
  size_t input_count() const;                 // N*C*H*W
  size_t output_count() const;                // N*classes

  // Synchronous: uploads input, runs the forward pass, downloads the logits. Counts are in
  // floats and must equal input_count() / output_count() (VKNN_ERROR_INVALID_ARGUMENT).
  // Must not overlap a pending recorded inference of this session (they share buffers).
  void run(const float* input, size_t input_count, float* output, size_t output_count);

  // Records inference into the host's primary command buffer (in the recording state, outside a render pass,
  // allocated from a pool of the lent queue's family). input/output: host VkBuffers (or input_buffer()/output_buffer()).
  //
  // input: input_count()*4 bytes at input.offset, in a buffer made with
  // VK_BUFFER_USAGE_TRANSFER_SRC_BIT; output: output_count()*4 bytes at output.offset, with
  // VK_BUFFER_USAGE_TRANSFER_DST_BIT. Passing input_buffer() / output_buffer() skips that
  // copy. span.size 0 means "exactly the needed size"; a nonzero size smaller than needed, a
  // null handle, a range of the engine's buffer other than its own tensor, or overlapping
  // input and output ranges are refused (VKNN_ERROR_INVALID_ARGUMENT).
  //
  // Barrier contract. Recorded, in order (every barrier is one global VkMemoryBarrier):
  //   1. src ALL_COMMANDS / MEMORY_WRITE -> dst TRANSFER|COMPUTE_SHADER /
  //      TRANSFER_READ|TRANSFER_WRITE|SHADER_READ|SHADER_WRITE.
  //      Every write to `input` recorded or submitted earlier in submission order on the
  //      same queue is covered: the host needs no barrier of its own. Writes from another
  //      queue need a semaphore wait; CPU writes to mapped memory must be done (and flushed,
  //      if not HOST_COHERENT) before vkQueueSubmit.
  //   2. vkCmdCopyBuffer input -> engine input tensor; then TRANSFER / TRANSFER_WRITE ->
  //      COMPUTE_SHADER / SHADER_READ.                       (both skipped for input_buffer())
  //   3. vkCmdExecuteCommands(the session's secondary, recorded once at creation).
  //   4. COMPUTE_SHADER / SHADER_WRITE -> TRANSFER / TRANSFER_READ; vkCmdCopyBuffer engine
  //      logits -> output.                                   (both skipped for output_buffer())
  //   5. src TRANSFER|COMPUTE_SHADER / TRANSFER_WRITE|SHADER_WRITE -> dst ALL_COMMANDS|HOST /
  //      MEMORY_READ|MEMORY_WRITE|HOST_READ: the logits in `output` are available and visible
  //      to every later command in submission order (and to the host once the submission
  //      has completed, e.g. after its fence), and later writes to `input` wait for this
  //      inference's reads.
  // The command buffer must be submitted to a queue of the lent queue family. It may be
  // submitted many times (the secondary is SIMULTANEOUS_USE), but the session's internal
  // buffers (input tensor, activations, logits) are reused by every replay: at most one
  // recorded inference of a session may be executing at a time, unless all are submitted to
  // the same queue, where barrier 1 orders consecutive replays. Do not call run() while a
  // recorded inference is pending. The recording stays valid until the session or its
  // context is destroyed; the host must wait for pending submissions before either.
  void record(VkCommandBuffer cmd, const BufferSpan& input, const BufferSpan& output);
  // The engine's own input tensor and logits: ranges of device-local storage buffers made
  // with TRANSFER_SRC|TRANSFER_DST usage, valid until the session or its context is
  // destroyed. Pass them to record() to skip its copies; the host may also write the input
  // and read the logits there with its own commands, ordered by record()'s barriers 1 and 5.
  BufferSpan input_buffer() const;
  BufferSpan output_buffer() const;

  // Releases the session's device objects now; later calls throw VKNN_ERROR_INVALID_STATE.
  // The host must have waited for every submission that executes this session's recording.
  void destroy();

  Session();  // an empty handle
  ~Session();
  Session(const Session&);
  Session& operator=(const Session&);
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  struct State;    // internal
  struct Request;  // internal

 private:
  static Session create_impl(Context& ctx, const Request& request);
  explicit Session(std::shared_ptr<State> s);
  std::shared_ptr<State> state_;
};

// Training: the Trainer of `vknn train` (the same object; see README and docs/architecture.md).
// A run lives in a folder: checkpoint.safetensors holds the weights, the momentum and the
// whole run (every setting, the data's size, the epoch and the loader's position in it), so
// resume() continues exactly, and a run stopped anywhere and resumed ends bit-identical to
// one that was not stopped. metrics.csv, curves.svg, state.json and best.safetensors are
// written beside it.
struct TrainerSpec {
  std::string model;  // as ModelSpec::name; not used for a Network (Trainer::create's overload)
  std::string data;   // IDX files, CIFAR-10 binary batches, or train/ and test/ (or val/) image folders
  std::string out = "vknn-run";  // the run folder
  // Initial weights: a safetensors file holding every parameter and running statistic under
  // the model's names (extra entries, such as torchvision's num_batches_tracked, are ignored).
  // Empty: the model's own (an ONNX file's) or random ones from `seed`.
  std::string init;
  int epochs = 10, batch = 64;
  double lr = 0.01;
  // The loss: softmax cross-entropy, with label smoothing as CrossEntropyLoss(label_smoothing=).
  double label_smoothing = 0;
  // "sgd" (momentum, `rule`; weight decay as L2 in the gradient) or "adamw" (torch.optim.AdamW:
  // beta1, beta2, eps; weight decay decoupled).
  std::string optimizer = "sgd";
  double momentum = 0.9, weight_decay = 5e-4;
  std::string rule = "paper";  // SGD update: "paper" (Krizhevsky et al.) or "pytorch" (torch.optim.SGD)
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  // The learning rate per epoch after warmup_epochs of linear warmup from 0.01 x lr
  // (torch's LinearLR): "step" (x0.1 every step_epochs), "cosine" (to 0 at the last epoch,
  // CosineAnnealingLR) or "plateau" (x0.1 after patience epochs without a better validation loss).
  std::string schedule = "step";
  int warmup_epochs = 0;
  int step_epochs = 30, patience = 2;
  uint64_t seed = 1;               // weights, data order, augmentation
  int64_t limit = 0, val_limit = 0;  // stratified subsets of the training and test splits (0: all)
  int threads = 2;                 // data loading threads (the results do not depend on it)
  bool force = false;              // replace a run that `out` holds (otherwise refused)
  // "fp32", or "fp16": activations stored in fp16 where an op has an fp16 variant, fp32 master
  // weights and gradients, and a dynamic loss scale as torch.amp.GradScaler's: from
  // loss_scale, halved (and the step skipped) when a gradient overflows, doubled after
  // loss_scale_interval good steps. Refused on a device without 16-bit storage.
  std::string precision = "fp32";
  double loss_scale = 65536;
  int64_t loss_scale_interval = 2000;
};

struct TrainStep {
  float loss = 0, top1 = 0;  // this batch: mean loss, number of correct samples
  uint64_t step = 0;         // optimizer steps in all, this one included
  int epoch = 0;             // 0-based epoch of this step
  int64_t batch_in_epoch = 0;
  double lr = 0;             // the learning rate of this step
  bool epoch_done = false;   // call end_epoch() before the next step
  bool finished = false;     // every epoch is done
  bool skipped = false;      // precision fp16: the gradients overflowed, the update was skipped
};

struct Evaluation {
  double loss = 0, top1 = 0, top5 = 0;  // over the test split (val_limit: its subset); accuracies in [0, 1]
  int64_t samples = 0;
};

// Every call throws Error on failure: VKNN_ERROR_INVALID_ARGUMENT for bad settings (the message
// names the setting) or a misuse (step() when the epoch is done), VKNN_ERROR_IO / PARSE for the
// data and the run folder. A non-finite loss fails step() and the trainer keeps no weights
// from it (the last commit stands). A Trainer keeps its device alive until it is destroyed:
// Context::destroy() does not end it.
class VKNN_API Trainer {
 public:
  // Checks the settings, the run folder and the data, then builds the training graph on the
  // context's device and commits the initial state.
  static Trainer create(Context& ctx, const TrainerSpec& spec);
  // The same for a network defined in code (vknn/network.hpp) instead of spec.model. Its input
  // must be square, with 1 to 4 channels, and its output (N,classes) must have as many classes
  // as the data (VKNN_ERROR_UNSUPPORTED / INVALID_ARGUMENT otherwise); its images are
  // preprocessed as an ONNX file's are (docs/embedding.md). The run and its checkpoints name
  // it "network-sha256:" and the SHA-256 of its layer calls, and the trainer keeps its own
  // copy of the network.
  static Trainer create(Context& ctx, const Network& network, const TrainerSpec& spec);
  // Continues the run committed in `out`, with every setting it was started with.
  static Trainer resume(Context& ctx, const std::string& out);
  // Continues a run of a network defined in code: `network` must be the network it was started
  // with (the same layer calls; otherwise VKNN_ERROR_INVALID_ARGUMENT).
  static Trainer resume(Context& ctx, const Network& network, const std::string& out);
  TrainStep step();          // one optimizer step on the next batch
  Evaluation end_epoch();    // validation, the schedule for the next epoch, a commit
  Evaluation validate();     // on the training executor's own inference pass
  void save();               // commit now (mid-epoch too)
  // A weights-only safetensors file (no momentum, no run) that says what it is: model,
  // classes, input size, normalisation.
  void save_weights(const std::string& path);
  bool finished() const;
  uint64_t step_count() const;
  void destroy();  // releases the device objects now; later calls throw VKNN_ERROR_INVALID_STATE

  Trainer();  // an empty handle
  ~Trainer();
  Trainer(Trainer&&) noexcept;
  Trainer& operator=(Trainer&&) noexcept;

  struct State;  // internal

 private:
  explicit Trainer(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

}  // namespace vknn::api
