// The shared state behind vknn::api::Context and Session handles (private to libvknn).
//
// Locking: Context::State::mutex is shared by every call that uses the device through the
// context or one of its sessions, and exclusive in Context::destroy(), which therefore
// never runs while a session call is in flight. Session::State::mutex serialises calls on
// one session (the executor and its buffers are not thread-safe).
#pragma once

#include "vknn/vknn.h"
#include "vknn/vknn.hpp"
#include "vknn/network.hpp"

#include "vknn/engine/commands.h"
#include "vknn/engine/context.h"
#include "vknn/graph/executor.h"
#include "vknn/models/model.h"
#include "vknn/onnx/resolve.h"
#include "vknn/ops/activation.h"

#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <vector>

// The C handles (c_api.cpp, trainer.cpp; c_network.cpp makes sessions and trainers too).
struct vknn_context_t {
  vknn::api::Context ctx;
};
struct vknn_session_t {
  vknn::api::Session session;
};
struct vknn_trainer_t {
  vknn::api::Trainer trainer;
};

namespace vknn::api {

// The one place where internal error codes become vknn_status values.
vknn_status status_of(Errc code);
// Throws the API's Error for an engine error, with the message (and VkResult) it carries.
[[noreturn]] void raise(const vknn::Error& e);
[[noreturn]] void raise(vknn_status code, const std::string& message);
template <class T>
T take(Result<T>&& r) {
  if (!r.ok()) raise(r.error());
  return std::move(r).value();
}
inline void check(const Status& s) {
  if (!s.ok()) raise(s.error());
}

// The thread-local message vknn_last_error returns (c_api.cpp).
void set_last_error(std::string message);

// The C trainer spec as the C++ one, checking its strings (trainer.cpp). spec->model is
// required unless `network` (a network defined in code takes its place).
TrainerSpec trainer_spec_of(const vknn_trainer_spec* spec, bool network);

// Runs a C entry point's body: no exception crosses the C API. An api::Error becomes its
// status and "fn: message" in vknn_last_error; anything else becomes VKNN_ERROR_INTERNAL
// (VKNN_ERROR_OUT_OF_MEMORY for bad_alloc, with no message: there is no memory to say more).
template <class F>
vknn_status guarded(const char* fn, F&& f) noexcept {
  auto say = [&](const char* what, const char* detail) noexcept {
    try {
      set_last_error(std::string(fn) + ": " + what + detail);
    } catch (...) {
    }
  };
  try {
    f();
    return VKNN_SUCCESS;
  } catch (const Error& e) {
    say("", e.what());
    return vknn_status(e.code());
  } catch (const std::bad_alloc&) {
    try {
      set_last_error("");
    } catch (...) {
    }
    return VKNN_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    say("internal error: ", e.what());
    return VKNN_ERROR_INTERNAL;
  } catch (...) {
    say("internal error (unknown exception)", "");
    return VKNN_ERROR_INTERNAL;
  }
}

// Hidden: nested in exported classes, these would otherwise inherit default visibility.
struct __attribute__((visibility("hidden"))) Context::State {
  std::shared_mutex mutex;
  std::shared_ptr<vknn::Context> ctx;  // null once destroyed
  std::string device_name;
  uint32_t family = 0;
  std::mutex sessions_mutex;  // guards `sessions` (taken with `mutex` shared or exclusive)
  std::vector<std::weak_ptr<Session::State>> sessions;

  // Waits for the device, releases every live session's device objects, then the engine
  // context (the device itself only when vknn owns it).
  void destroy();
  ~State();
};

struct __attribute__((visibility("hidden"))) Session::State {
  std::shared_ptr<Context::State> owner;
  std::mutex mutex;
  std::unique_ptr<Executor> executor;  // null once released
  CommandList secondary;               // the inference, recorded once, executed by record()
  TensorId images, logits;
  std::vector<int64_t> input_shape, output_shape;
  BufferRef input_ref, output_ref;  // the executor's input tensor and logits
  std::string model;

  // Frees the device objects (secondary first: its descriptor sets name executor buffers).
  void release();
  ~State();
};

// What a session is made from: the model as onnx::resolve_model takes it (a built-in name,
// an .onnx path or an ONNX file's bytes), the weights file (empty: the model's own or random)
// and the seed of random weights.
// Network layers: each builds its output from the values so far (values[0] is the input).
struct __attribute__((visibility("hidden"))) Network::State {
  using Layer = std::function<TensorId(Graph&, const std::vector<TensorId>&)>;
  int64_t channels = 0, height = 0, width = 0;
  std::vector<Layer> layers;
  int32_t output = -1;  // index into the values
  // Every call that made the network, one a line ("conv2d 0 conv1 out 8 kernel 3 ..."): the
  // same text, the same network (training names a network by its hash).
  std::string description;

  // The value's index; throws VKNN_ERROR_INVALID_ARGUMENT for another network's value.
  int32_t check(Network::Value v, const char* call) const;
  Network::Value push(const std::string& text, Layer layer);
  Network::Value softmax(Network::Value x, const char* call, int axis, bool log);
  Network::Value matmul(Network::Value a, Network::Value b, const Network::Value* c, const Network::Matmul& m);
  static TensorId arg(const std::vector<TensorId>& values, int32_t i);
  // An element-wise activation layer; its parameters are checked at once.
  Network::Value activation(Network::Value x, const char* call, const ActivationParams& p);
  Result<models::Model> build(int64_t batch) const;
};

struct __attribute__((visibility("hidden"))) Session::Request {
  onnx::ModelRequest model;
  std::string weights;
  uint64_t seed = 1;
  const Network::State* network = nullptr;  // when set, the model instead of `model`
};

}  // namespace vknn::api
