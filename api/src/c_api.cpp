// The C API: thin wrappers over the C++ one. No exception crosses it: every entry point
// catches everything and turns it into a vknn_status and a thread-local message.
#include "state.h"

#include <new>

namespace {

using vknn::api::guarded;
thread_local std::string t_last_error;

[[noreturn]] void invalid(const char* what) { vknn::api::raise(VKNN_ERROR_INVALID_ARGUMENT, what); }

vknn::api::Session& session_of(vknn_session s) {
  if (!s) invalid("the session is NULL");
  return s->session;
}

}  // namespace

namespace vknn::api {
void set_last_error(std::string message) { t_last_error = std::move(message); }
}  // namespace vknn::api

extern "C" {

const char* vknn_last_error(void) { return t_last_error.c_str(); }

const char* vknn_status_name(int status) {
  // Compared as an int: the value may be none of the enumerators (a caller's bug, or a status
  // of a later version), and such a value must not be loaded as a vknn_status.
  switch (status) {
    case VKNN_SUCCESS: return "VKNN_SUCCESS";
    case VKNN_ERROR_INVALID_ARGUMENT: return "VKNN_ERROR_INVALID_ARGUMENT";
    case VKNN_ERROR_UNSUPPORTED: return "VKNN_ERROR_UNSUPPORTED";
    case VKNN_ERROR_OUT_OF_MEMORY: return "VKNN_ERROR_OUT_OF_MEMORY";
    case VKNN_ERROR_DEVICE_LOST: return "VKNN_ERROR_DEVICE_LOST";
    case VKNN_ERROR_IO: return "VKNN_ERROR_IO";
    case VKNN_ERROR_PARSE: return "VKNN_ERROR_PARSE";
    case VKNN_ERROR_VULKAN: return "VKNN_ERROR_VULKAN";
    case VKNN_ERROR_INVALID_STATE: return "VKNN_ERROR_INVALID_STATE";
    case VKNN_ERROR_INTERNAL: return "VKNN_ERROR_INTERNAL";
  }
  return "VKNN_STATUS_UNKNOWN";
}

vknn_status vknn_context_create(int32_t device_index, vknn_context* out) {
  if (out) *out = nullptr;
  return guarded("vknn_context_create", [&] {
    if (!out) invalid("out is NULL");
    auto h = std::make_unique<vknn_context_t>();
    h->ctx = vknn::api::Context::create(device_index);
    *out = h.release();
  });
}

vknn_status vknn_context_borrow(const vknn_host_device* host, vknn_context* out) {
  if (out) *out = nullptr;
  return guarded("vknn_context_borrow", [&] {
    if (!out) invalid("out is NULL");
    if (!host) invalid("host is NULL");
    if (host->enabled_device_extension_count > 0 && !host->enabled_device_extensions)
      invalid("enabled_device_extensions is NULL but enabled_device_extension_count is not 0");
    vknn::api::HostDevice h;
    h.instance = host->instance;
    h.physical_device = host->physical_device;
    h.device = host->device;
    h.api_version = host->api_version;
    for (uint32_t i = 0; i < host->enabled_device_extension_count; ++i) {
      if (!host->enabled_device_extensions[i]) invalid("enabled_device_extensions holds a NULL name");
      h.enabled_device_extensions.emplace_back(host->enabled_device_extensions[i]);
    }
    h.timeline_semaphore_enabled = host->timeline_semaphore_enabled != 0;
    h.queue_family = host->queue_family;
    h.queue_index = host->queue_index;
    if (host->lock_queue) h.lock_queue = [f = host->lock_queue, u = host->user] { f(u); };
    if (host->unlock_queue) h.unlock_queue = [f = host->unlock_queue, u = host->user] { f(u); };
    auto handle = std::make_unique<vknn_context_t>();
    handle->ctx = vknn::api::Context::borrow(h);
    *out = handle.release();
  });
}

void vknn_context_destroy(vknn_context ctx) {
  if (!ctx) return;
  (void)guarded("vknn_context_destroy", [&] { ctx->ctx.destroy(); });
  delete ctx;  // sessions keep the (now empty) shared state alive until they are destroyed
}

vknn_status vknn_session_create(vknn_context ctx, const vknn_model_spec* spec, const char* weights_path, int32_t batch,
                                vknn_session* out) {
  if (out) *out = nullptr;
  return guarded("vknn_session_create", [&] {
    if (!out) invalid("out is NULL");
    if (!ctx) invalid("the context is NULL");
    if (!spec) invalid("spec is NULL");
    if (!spec->name) invalid("spec->name is NULL");
    vknn::api::ModelSpec s;
    s.name = spec->name;
    s.classes = spec->classes;
    s.input_size = spec->input_size;
    s.width = spec->width == 0.0f ? 1.0f : spec->width;
    s.seed = spec->seed;
    auto handle = std::make_unique<vknn_session_t>();
    handle->session = vknn::api::Session::create(ctx->ctx, s, weights_path ? weights_path : "", batch);
    *out = handle.release();
  });
}

vknn_status vknn_session_create_from_onnx(vknn_context ctx, const void* data, size_t size, const char* weights_path,
                                          int32_t batch, vknn_session* out) {
  if (out) *out = nullptr;
  return guarded("vknn_session_create_from_onnx", [&] {
    if (!out) invalid("out is NULL");
    if (!ctx) invalid("the context is NULL");
    if (!data) invalid("data is NULL");
    auto handle = std::make_unique<vknn_session_t>();
    handle->session =
        vknn::api::Session::create_from_onnx(ctx->ctx, data, size, weights_path ? weights_path : "", batch);
    *out = handle.release();
  });
}

vknn_status vknn_session_input_shape(vknn_session s, int64_t dims[4]) {
  return guarded("vknn_session_input_shape", [&] {
    auto& session = session_of(s);
    if (!dims) invalid("dims is NULL");
    auto shape = session.input_shape();
    for (size_t i = 0; i < 4; ++i) dims[i] = shape.at(i);
  });
}

vknn_status vknn_session_output_shape(vknn_session s, int64_t dims[2]) {
  return guarded("vknn_session_output_shape", [&] {
    auto& session = session_of(s);
    if (!dims) invalid("dims is NULL");
    auto shape = session.output_shape();
    for (size_t i = 0; i < 2; ++i) dims[i] = shape.at(i);
  });
}

vknn_status vknn_session_run(vknn_session s, const float* input, size_t input_count, float* output,
                             size_t output_count) {
  return guarded("vknn_session_run",
                 [&] { session_of(s).run(input, input_count, output, output_count); });
}

vknn_status vknn_session_record(vknn_session s, VkCommandBuffer cmd, VkBuffer input, VkDeviceSize input_offset,
                                VkBuffer output, VkDeviceSize output_offset) {
  return guarded("vknn_session_record", [&] {
    session_of(s).record(cmd, {input, input_offset, 0}, {output, output_offset, 0});
  });
}

namespace {
vknn_status span_out(const char* fn, vknn_session s, bool input, VkBuffer* buffer, VkDeviceSize* offset,
                     VkDeviceSize* size) {
  return guarded(fn, [&] {
    auto& session = session_of(s);
    const vknn::api::BufferSpan span = input ? session.input_buffer() : session.output_buffer();
    if (buffer) *buffer = span.buffer;
    if (offset) *offset = span.offset;
    if (size) *size = span.size;
  });
}
}  // namespace

vknn_status vknn_session_input_buffer(vknn_session s, VkBuffer* buffer, VkDeviceSize* offset, VkDeviceSize* size) {
  return span_out("vknn_session_input_buffer", s, true, buffer, offset, size);
}

vknn_status vknn_session_output_buffer(vknn_session s, VkBuffer* buffer, VkDeviceSize* offset, VkDeviceSize* size) {
  return span_out("vknn_session_output_buffer", s, false, buffer, offset, size);
}

void vknn_session_destroy(vknn_session s) {
  if (!s) return;
  (void)guarded("vknn_session_destroy", [&] { s->session.destroy(); });
  delete s;
}

}  // extern "C"
