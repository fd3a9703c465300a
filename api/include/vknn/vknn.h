/* vknn embedding API, C (library vknn, shared). Valid C99/C11 and C++.
 *
 * Error model: every function that can fail returns a vknn_status; VKNN_SUCCESS is 0. On
 * failure, vknn_last_error() returns a readable message for the last failed call on the
 * calling thread (valid until the next failing vknn call on that thread). No C++ exception
 * ever crosses this API. Out-pointers must not be NULL (VKNN_ERROR_INVALID_ARGUMENT); on
 * failure *out is set to NULL. Destroy functions accept NULL (a no-op); destroying a handle
 * twice, or using it after its destroy, is undefined behaviour, as in every C API: set the
 * handle to NULL after destroying it.
 *
 * Lifetimes, threading and the barrier contract of vknn_session_record are those of the
 * C++ API (vknn.hpp) and docs/embedding.md, restated briefly below. */
#ifndef VKNN_VKNN_H_
#define VKNN_VKNN_H_

#include <vulkan/vulkan.h>

#include <stddef.h>
#include <stdint.h>

/* VKNN_API marks what libvknn exports; everything else in it is hidden. */
#ifndef VKNN_API
#  if defined(_WIN32)
#    if defined(VKNN_API_BUILDING)
#      define VKNN_API __declspec(dllexport)
#    else
#      define VKNN_API __declspec(dllimport)
#    endif
#  else
#    define VKNN_API __attribute__((visibility("default")))
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vknn_context_t* vknn_context;
typedef struct vknn_session_t* vknn_session;

typedef enum vknn_status {
  VKNN_SUCCESS = 0,
  VKNN_ERROR_INVALID_ARGUMENT = 1, /* null pointer, bad size or shape, bad option */
  VKNN_ERROR_UNSUPPORTED = 2,      /* a feature vknn needs is missing (e.g. timeline semaphores), no usable device */
  VKNN_ERROR_OUT_OF_MEMORY = 3,    /* host or device memory */
  VKNN_ERROR_DEVICE_LOST = 4,      /* the device is gone; the context is unusable */
  VKNN_ERROR_IO = 5,               /* a file could not be read (the message names it) */
  VKNN_ERROR_PARSE = 6,            /* a file is malformed or does not match the model */
  VKNN_ERROR_VULKAN = 7,           /* another Vulkan call failed (message names the call) */
  VKNN_ERROR_INVALID_STATE = 8,    /* e.g. session used after its context was destroyed */
  VKNN_ERROR_INTERNAL = 9          /* a bug in vknn (an unexpected exception) */
} vknn_status;

/* Thread-local message of the last failed call on this thread ("" if none), prefixed with
 * the function's name. Successful calls leave it alone. */
VKNN_API const char* vknn_last_error(void);
/* "VKNN_SUCCESS", "VKNN_ERROR_INVALID_ARGUMENT", ...; "VKNN_STATUS_UNKNOWN" for any other
 * value. Takes an int so that any value can be asked about: in C++ an int outside the enum's
 * range converted to vknn_status is undefined behaviour. */
VKNN_API const char* vknn_status_name(int status);

/* What the host lends; the host keeps ownership. instance, physical_device and device must
 * outlive the context (until vknn_context_destroy returns). enabled_device_extensions may be
 * NULL when the count is 0. lock_queue/unlock_queue (both or neither) are called with `user`
 * around each vkQueueSubmit vknn makes to the lent queue, when the host also submits to it. */
typedef struct vknn_host_device {
  VkInstance instance;
  VkPhysicalDevice physical_device;
  VkDevice device;
  uint32_t api_version; /* apiVersion the host created its instance with (>= VK_API_VERSION_1_2) */
  const char* const* enabled_device_extensions;
  uint32_t enabled_device_extension_count;
  int timeline_semaphore_enabled; /* VkPhysicalDeviceVulkan12Features::timelineSemaphore; required */
  uint32_t queue_family;          /* a family with VK_QUEUE_COMPUTE_BIT */
  uint32_t queue_index;
  void (*lock_queue)(void* user);
  void (*unlock_queue)(void* user);
  void* user;
} vknn_host_device;

/* vknn makes and owns its own instance and device; device_index -1 = best device (an
 * index with no usable device: VKNN_ERROR_UNSUPPORTED). */
VKNN_API vknn_status vknn_context_create(int32_t device_index, vknn_context* out);
/* Adopts a host's device. VKNN_ERROR_UNSUPPORTED without timeline semaphores, with an
 * api_version below 1.2 or for a queue family without VK_QUEUE_COMPUTE_BIT;
 * VKNN_ERROR_INVALID_ARGUMENT for null handles, a queue that does not exist, or only one of
 * lock_queue/unlock_queue. */
VKNN_API vknn_status vknn_context_borrow(const vknn_host_device* host, vknn_context* out);
/* Waits for calls in flight and for vknn's own submissions, then releases every Vulkan
 * object vknn made on the device, including those of sessions still alive: their later
 * calls fail with VKNN_ERROR_INVALID_STATE ("session used after its context was
 * destroyed"), and they must still be freed with vknn_session_destroy. The host must first
 * wait for its own submissions that execute a session's recording. A borrowed device stays
 * valid and usable by the host. NULL is accepted. */
VKNN_API void vknn_context_destroy(vknn_context ctx);

/* name may also be the path of an ONNX file (ending in ".onnx"; external data files beside it):
 * the file fixes its classes, input size and weights, so classes, input_size, width and seed
 * are not used for it. It must have one runtime input (N,C,H,W) and its first output must be
 * (N,classes) (VKNN_ERROR_UNSUPPORTED otherwise, as for a node vknn cannot import: the
 * message lists every such node); a malformed file is VKNN_ERROR_PARSE. */
typedef struct vknn_model_spec {
  const char* name;    /* "alexnet", "resnet18|34|50", "cifar-resnet20|32|44|56", "cifar-plain20|...", "lenet", "m.onnx" */
  int32_t classes;     /* number of logits; 0 = model default (1000 ImageNet nets, 10 cifar/lenet) */
  int32_t input_size;  /* 0 = model default (alexnet 227, >= 67; resnets 224, >= 32; cifar 32, x4; lenet 28) */
  float width;         /* channel multiplier, 1.0 = the published model (alexnet, lenet); 0 means 1.0 */
  uint64_t seed;       /* random weights when weights_path is NULL */
} vknn_model_spec;

/* weights_path: a safetensors file with the names `vknn train` writes; NULL = random. */
VKNN_API vknn_status vknn_session_create(vknn_context ctx, const vknn_model_spec* spec,
                                         const char* weights_path /* NULL = random */, int32_t batch,
                                         vknn_session* out);
/* The same from an ONNX file's bytes in memory (size bytes at data, which may be freed on
 * return); the model must hold its weights (no external data files). weights_path: a
 * safetensors file overriding them by their ONNX names; NULL = the file's own. */
VKNN_API vknn_status vknn_session_create_from_onnx(vknn_context ctx, const void* data, size_t size,
                                                   const char* weights_path /* NULL = the file's */, int32_t batch,
                                                   vknn_session* out);
VKNN_API vknn_status vknn_session_input_shape(vknn_session s, int64_t dims[4]);  /* N, C, H, W (fp32) */
VKNN_API vknn_status vknn_session_output_shape(vknn_session s, int64_t dims[2]); /* N, classes (fp32) */
/* Synchronous inference. Counts are in floats: N*C*H*W and N*classes exactly. */
VKNN_API vknn_status vknn_session_run(vknn_session s, const float* input, size_t input_count, float* output,
                                      size_t output_count);
/* Records inference into the host's primary command buffer `cmd` (recording state, outside
 * a render pass, from a pool of the lent queue's family). input: N*C*H*W floats at
 * input_offset, in a buffer made with VK_BUFFER_USAGE_TRANSFER_SRC_BIT; output: N*classes
 * floats at output_offset, with VK_BUFFER_USAGE_TRANSFER_DST_BIT. Passing the engine's own
 * buffer and offset (vknn_session_input_buffer / vknn_session_output_buffer) skips that copy.
 * A null handle, a range inside the engine's buffer other than its own tensor, or input and
 * output ranges that overlap are refused (VKNN_ERROR_INVALID_ARGUMENT).
 *
 * Recorded, in order (all global VkMemoryBarriers):
 *   1. ALL_COMMANDS / MEMORY_WRITE -> TRANSFER|COMPUTE_SHADER / TRANSFER_READ|TRANSFER_WRITE|
 *      SHADER_READ|SHADER_WRITE: covers any earlier write to `input` in submission order on
 *      the queue (and orders this inference after the previous one);
 *   2. copy input -> engine input tensor (unless own), then TRANSFER/TRANSFER_WRITE ->
 *      COMPUTE_SHADER/SHADER_READ;
 *   3. vkCmdExecuteCommands of the session's secondary buffer (recorded once at creation);
 *   4. (unless own) COMPUTE_SHADER/SHADER_WRITE -> TRANSFER/TRANSFER_READ, copy logits -> output;
 *   5. TRANSFER|COMPUTE_SHADER / TRANSFER_WRITE|SHADER_WRITE -> ALL_COMMANDS|HOST /
 *      MEMORY_READ|MEMORY_WRITE|HOST_READ: `output` is visible to every later command (and to
 *      the host once the submission completed), and later writes to `input` wait for it.
 * Submit only to a queue of the lent family. The session's internal buffers are reused by
 * every replay: at most one recorded inference per session executing at a time, unless all
 * are submitted to the same queue (barrier 1 orders them); no vknn_session_run meanwhile.
 * The recording is valid until the session or its context is destroyed. */
VKNN_API vknn_status vknn_session_record(vknn_session s, VkCommandBuffer cmd, VkBuffer input,
                                         VkDeviceSize input_offset, VkBuffer output, VkDeviceSize output_offset);
/* The engine-owned input tensor and logits buffers (usable directly in vknn_session_record,
 * which then skips the copy). Any out-pointer may be NULL. */
VKNN_API vknn_status vknn_session_input_buffer(vknn_session s, VkBuffer* buffer, VkDeviceSize* offset,
                                               VkDeviceSize* size);
VKNN_API vknn_status vknn_session_output_buffer(vknn_session s, VkBuffer* buffer, VkDeviceSize* offset,
                                                VkDeviceSize* size);
/* The host must have waited for any submission that executes this session's recording.
 * NULL is accepted. */
VKNN_API void vknn_session_destroy(vknn_session s);

/* Training: the Trainer of `vknn train` (vknn.hpp's Trainer restates the contract). A run
 * lives in the folder `out`; its checkpoint holds the weights, the momentum and the whole
 * run, so vknn_trainer_resume continues it exactly. Strings are copied. */
typedef struct vknn_trainer_t* vknn_trainer;

typedef struct vknn_trainer_spec {
  const char* model; /* as vknn_model_spec's name */
  const char* data;  /* IDX, CIFAR-10 binary, or train/ and test/ (or val/) image folders */
  const char* out;   /* the run folder; NULL = "vknn-run" */
  int32_t epochs, batch;
  double lr, momentum, weight_decay, label_smoothing;
  const char* rule;     /* SGD: "paper" or "pytorch"; NULL = "paper" */
  const char* schedule; /* "step", "cosine" or "plateau" (after warmup_epochs); NULL = "step" */
  int32_t step_epochs, patience;
  uint64_t seed;
  int64_t limit, val_limit; /* stratified subsets of the training and test splits (0: all) */
  int32_t threads;
  int32_t force; /* nonzero: replace a run that `out` holds */
  /* Added after the fields above (which keep their places): */
  const char* optimizer;     /* "sgd" or "adamw" (torch.optim.AdamW); NULL = "sgd" */
  double beta1, beta2, eps;  /* adamw */
  int32_t warmup_epochs;     /* linear warmup from 0.01 x lr, fewer than epochs */
  /* Initial weights (fine-tuning): a safetensors file with every parameter and running
   * statistic under the model's names, as TrainerSpec::init; NULL = the model's own or random
   * ones from seed. */
  const char* init;
  /* Mixed precision, as TrainerSpec's: "fp32" or "fp16"; NULL = "fp32". loss_scale (the
   * initial scale) and loss_scale_interval (good steps before it doubles): 0 = the defaults,
   * 65536 and 2000. */
  const char* precision;
  double loss_scale;
  int64_t loss_scale_interval;
} vknn_trainer_spec;

typedef struct vknn_train_step {
  float loss, top1; /* this batch: mean loss, correct samples */
  uint64_t step;    /* optimizer steps in all */
  int32_t epoch;    /* 0-based epoch of this step */
  int64_t batch_in_epoch;
  int32_t epoch_done; /* nonzero: call vknn_trainer_end_epoch before the next step */
  int32_t finished;   /* nonzero: every epoch is done */
  double lr;          /* the learning rate of this step */
} vknn_train_step;

typedef struct vknn_evaluation {
  double loss, top1, top5; /* accuracies in [0, 1] */
  int64_t samples;
} vknn_evaluation;

/* The defaults of `vknn train` (epochs 10, batch 64, lr 0.01, sgd, momentum 0.9, ...). */
VKNN_API void vknn_trainer_spec_defaults(vknn_trainer_spec* spec);
VKNN_API vknn_status vknn_trainer_create(vknn_context ctx, const vknn_trainer_spec* spec, vknn_trainer* out);
VKNN_API vknn_status vknn_trainer_resume(vknn_context ctx, const char* out_dir, vknn_trainer* out);
VKNN_API vknn_status vknn_trainer_step(vknn_trainer t, vknn_train_step* out /* may be NULL */);
VKNN_API vknn_status vknn_trainer_end_epoch(vknn_trainer t, vknn_evaluation* out /* may be NULL */);
VKNN_API vknn_status vknn_trainer_validate(vknn_trainer t, vknn_evaluation* out);
VKNN_API vknn_status vknn_trainer_save(vknn_trainer t);
VKNN_API vknn_status vknn_trainer_save_weights(vknn_trainer t, const char* path);
/* *finished = nonzero when every epoch is done (end_epoch of the last one has run). */
VKNN_API vknn_status vknn_trainer_finished(vknn_trainer t, int32_t* finished);
/* NULL is accepted. */
VKNN_API void vknn_trainer_destroy(vknn_trainer t);

/* Networks defined in code: the C face of vknn/network.hpp's vknn::api::Network, with the
 * same layers, parameter names ("<layer>.weight", ".bias"; batch norm also ".running_mean",
 * ".running_var", as PyTorch names them), initialization and behaviour in training (see that
 * header). A network records layer calls; each returns the layer's output as a vknn_tensor of
 * that network. Arguments are checked at once: a NULL handle or pointer, a non-positive size,
 * a tensor that is zero (the output of a failed call), of another network or beyond the
 * network's last layer, a NULL, empty, whitespace-holding or repeated layer name, a layer
 * after vknn_network_output: VKNN_ERROR_INVALID_ARGUMENT, the message naming the layer (its
 * number, and its name where it has one) and the argument. Shapes are checked when a session
 * or a trainer builds the network at its batch: a layer that does not fit (wrong channels, a
 * kernel larger than its input, groups that do not divide the channels) is then
 * VKNN_ERROR_INVALID_ARGUMENT naming the layer and the shapes. On failure *out is the zero
 * vknn_tensor, which every later call refuses: a failure is not lost if a caller goes on, but
 * only the first call's message names its cause. Layer k's output is tensor k.
 * A network is not thread-safe; sessions and trainers made from it keep what they need, so
 * it may be destroyed after them or before. */
typedef struct vknn_network_t* vknn_network;

/* A value of a network: its input (index 0) or the output of its index-th layer. */
typedef struct vknn_tensor {
  uint64_t network; /* which network it belongs to (never 0 for a real tensor) */
  int32_t index;
} vknn_tensor;

/* As Network::Conv; every field must be set (no zero defaults). */
typedef struct vknn_conv2d_params {
  int64_t out_channels; /* >= 1 */
  int32_t kernel;       /* square, >= 1 */
  int32_t stride;       /* >= 1 */
  int32_t pad;          /* >= 0, zeros on every side */
  int32_t groups;       /* >= 1, dividing the input and output channels (depthwise: the channels) */
  int32_t bias;         /* nonzero: with a bias */
} vknn_conv2d_params;

/* As Network::Pool: kernel >= 1, stride >= 1, pad >= 0 (zeros on every side); a pad of the
 * kernel or more, or a window larger than the padded input, is refused when a session or a
 * trainer builds the network, naming the layer. */
typedef struct vknn_pool_params {
  int32_t kernel, stride, pad;
} vknn_pool_params;

/* One input (N, channels, height, width) fp32; N is the batch of the session or trainer. */
VKNN_API vknn_status vknn_network_create(int64_t channels, int64_t height, int64_t width, vknn_network* out);
/* NULL is accepted. */
VKNN_API void vknn_network_destroy(vknn_network net);
VKNN_API vknn_status vknn_network_input(vknn_network net, vknn_tensor* out);
VKNN_API vknn_status vknn_network_conv2d(vknn_network net, vknn_tensor x, const char* name,
                                         const vknn_conv2d_params* params, vknn_tensor* out);
/* eps 1e-5, momentum 0.1 (PyTorch's BatchNorm2d) */
VKNN_API vknn_status vknn_network_batchnorm(vknn_network net, vknn_tensor x, const char* name, vknn_tensor* out);
VKNN_API vknn_status vknn_network_relu(vknn_network net, vknn_tensor x, vknn_tensor* out);
/* Element-wise activations, as PyTorch's modules (exact math in docs/ops.md). alpha is
 * leaky_relu's slope and clip's lower bound, beta clip's upper bound (ReLU6: clip 0, 6); the
 * other kinds ignore both. A kind outside the enum, a slope that is not finite, or bounds that
 * are not an interval: VKNN_ERROR_INVALID_ARGUMENT. */
typedef enum vknn_activation {
  VKNN_ACTIVATION_SIGMOID = 0,
  VKNN_ACTIVATION_TANH = 1,
  VKNN_ACTIVATION_SILU = 2,        /* x * sigmoid(x) */
  VKNN_ACTIVATION_HARDSWISH = 3,   /* x * clamp(x + 3, 0, 6) / 6 */
  VKNN_ACTIVATION_HARDSIGMOID = 4, /* clamp(x / 6 + 1 / 2, 0, 1) */
  VKNN_ACTIVATION_LEAKY_RELU = 5,
  VKNN_ACTIVATION_CLIP = 6
} vknn_activation;
VKNN_API vknn_status vknn_network_activation(vknn_network net, vknn_tensor x, int32_t kind /* vknn_activation */,
                                             float alpha, float beta, vknn_tensor* out);
/* rate in [0, 1); active in training steps only */
VKNN_API vknn_status vknn_network_dropout(vknn_network net, vknn_tensor x, float rate, vknn_tensor* out);
VKNN_API vknn_status vknn_network_maxpool(vknn_network net, vknn_tensor x, const vknn_pool_params* params,
                                          vknn_tensor* out);
/* padding counts as zeros (PyTorch's default) */
VKNN_API vknn_status vknn_network_avgpool(vknn_network net, vknn_tensor x, const vknn_pool_params* params,
                                          vknn_tensor* out);
/* (N,C,H,W) -> (N,C) */
VKNN_API vknn_status vknn_network_global_avgpool(vknn_network net, vknn_tensor x, vknn_tensor* out);
/* a + b, of the same shape */
VKNN_API vknn_status vknn_network_add(vknn_network net, vknn_tensor a, vknn_tensor b, vknn_tensor* out);
/* a * b: b of a's shape, or a per-channel gate of a's (N,C,H,W) shaped (N,C) or (N,C,1,1)
 * (squeeze-excitation); other shapes are refused when a session or trainer builds the network */
VKNN_API vknn_status vknn_network_mul(vknn_network net, vknn_tensor a, vknn_tensor b, vknn_tensor* out);
/* along channels; count >= 1 tensors at xs */
VKNN_API vknn_status vknn_network_concat(vknn_network net, const vknn_tensor* xs, size_t count, vknn_tensor* out);
/* (N, ...) -> (N, product) */
VKNN_API vknn_status vknn_network_flatten(vknn_network net, vknn_tensor x, vknn_tensor* out);
/* x: (N,F) -> (N,out_features); bias nonzero: with a bias */
VKNN_API vknn_status vknn_network_linear(vknn_network net, vknn_tensor x, const char* name, int64_t out_features,
                                         int32_t bias, vknn_tensor* out);
/* The value a session returns, (N,classes): called once, after the last layer, on a layer's
 * output (not the input itself). */
VKNN_API vknn_status vknn_network_output(vknn_network net, vknn_tensor x);

/* Added after vknn_network_output (appended, so that older callers keep their layout). */
/* Softmax and log-softmax of x along axis, as Network::softmax and Network::log_softmax:
 * negative counts from the end (-1: the last); an axis outside [-rank, rank) is refused when
 * a session or a trainer builds the network, naming the layer. */
VKNN_API vknn_status vknn_network_softmax(vknn_network net, vknn_tensor x, int32_t axis, vknn_tensor* out);
VKNN_API vknn_status vknn_network_log_softmax(vknn_network net, vknn_tensor x, int32_t axis, vknn_tensor* out);
/* As Network::Matmul; every field must be set (alpha 1, beta 1: the plain product and sum). */
typedef struct vknn_matmul_params {
  int32_t trans_a, trans_b; /* nonzero: the operand's last two dims transposed */
  float alpha;              /* finite */
  float beta;               /* finite; the scale of c, where there is one */
} vknn_matmul_params;
/* y = alpha * op(a) · op(b) (+ beta * c), as Network::matmul: a (...,M,K), b (...,K,N) give
 * (...,M,N). c: NULL for none, else a tensor of the network (2-D products only) shaped (N),
 * (1,N), (M,1) or (M,N). Shapes that do not multiply are refused when a session or a trainer
 * builds the network, naming the layer. */
VKNN_API vknn_status vknn_network_matmul(vknn_network net, vknn_tensor a, vknn_tensor b,
                                         const vknn_tensor* c /* NULL: none */, const vknn_matmul_params* params,
                                         vknn_tensor* out);

/* A session of the network at `batch` (as vknn_session_create). weights_path: a safetensors
 * file of its parameters by name; NULL = PyTorch's default initialization drawn from seed. */
VKNN_API vknn_status vknn_session_create_from_network(vknn_context ctx, vknn_network net,
                                                      const char* weights_path /* NULL = from seed */, int32_t batch,
                                                      uint64_t seed, vknn_session* out);
/* Trains the network as vknn_trainer_create trains spec->model (which is not used here and
 * may be NULL): softmax cross-entropy on its output, the same optimizers, schedules,
 * checkpoints and exact resume. Its input must be square with 1 to 4 channels
 * (VKNN_ERROR_UNSUPPORTED) and its classes those of the data (VKNN_ERROR_INVALID_ARGUMENT).
 * The run names the network "network-sha256:" and the SHA-256 of its layer calls. */
VKNN_API vknn_status vknn_trainer_create_from_network(vknn_context ctx, vknn_network net,
                                                      const vknn_trainer_spec* spec, vknn_trainer* out);
/* Continues such a run; net must make the same layer calls as the network it was started
 * with (VKNN_ERROR_INVALID_ARGUMENT otherwise, as is vknn_trainer_resume for such a run). */
VKNN_API vknn_status vknn_trainer_resume_from_network(vknn_context ctx, vknn_network net, const char* out_dir,
                                                      vknn_trainer* out);

#ifdef __cplusplus
}
#endif

#endif /* VKNN_VKNN_H_ */
