// vknn::api::Context: owns or borrows the device (engine Context) and ends every session's
// use of it in destroy().
#include "state.h"

#include <fmt/format.h>

namespace vknn::api {

namespace {

std::shared_ptr<Context::State> make_state(std::shared_ptr<vknn::Context> ctx) {
  auto s = std::make_shared<Context::State>();
  s->device_name = ctx->caps().name;
  s->family = ctx->queue(0).family();
  s->ctx = std::move(ctx);
  return s;
}

}  // namespace

void Context::State::destroy() {
  // Declared before the lock so that the sessions' last references, if these are the last
  // ones, are dropped after it is released (their destructors take it shared).
  std::vector<std::shared_ptr<Session::State>> live;
  std::unique_lock lock(mutex);
  if (!ctx) return;
  if (!ctx->lost()) (void)ctx->wait_idle();  // best effort: the objects go either way
  {
    std::lock_guard l(sessions_mutex);
    for (auto& w : sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
    sessions.clear();
  }
  for (auto& s : live) {
    std::lock_guard l(s->mutex);
    s->release();
  }
  ctx.reset();  // the engine context: semaphores, pools, pipeline cache; an owned device too
}

Context::State::~State() { destroy(); }

Context Context::borrow(const HostDevice& host) {
  if (!host.instance || !host.physical_device || !host.device)
    raise(VKNN_ERROR_INVALID_ARGUMENT, "Context::borrow: instance, physical_device and device must all be non-null");
  if (bool(host.lock_queue) != bool(host.unlock_queue))
    raise(VKNN_ERROR_INVALID_ARGUMENT, "Context::borrow: give both lock_queue and unlock_queue, or neither");
  BorrowInfo info;
  info.instance = host.instance;
  info.physical_device = host.physical_device;
  info.device = host.device;
  info.api_version = host.api_version;
  info.enabled_device_extensions = host.enabled_device_extensions;
  info.timeline_semaphore_enabled = host.timeline_semaphore_enabled;
  // The pipeline cache goes where the CLI's does (VKNN_PIPELINE_CACHE_DIR, XDG, HOME); "-"
  // in VKNN_PIPELINE_CACHE_DIR turns it off.
  info.pipeline_cache_dir = "";
  BorrowedQueue q;
  q.family = host.queue_family;
  q.index = host.queue_index;
  q.hooks.lock = host.lock_queue;
  q.hooks.unlock = host.unlock_queue;
  info.queues.push_back(std::move(q));
  return Context(make_state(take(vknn::Context::borrow(info))));
}

Context Context::create(int device_index) {
  if (device_index < -1)
    raise(VKNN_ERROR_INVALID_ARGUMENT, fmt::format("Context::create: device index {} (use -1 for the best device)",
                                                   device_index));
  ContextOptions opt;
  if (device_index >= 0) opt.device.index = uint32_t(device_index);
  opt.application_name = "vknn-embedded";
  return Context(make_state(take(vknn::Context::create(opt))));
}

void Context::destroy() {
  if (state_) state_->destroy();
}

namespace {
// Holds the context shared (no destroy() meanwhile) after checking it is live.
std::shared_lock<std::shared_mutex> lock_live(const std::shared_ptr<Context::State>& s, const char* call) {
  if (!s) raise(VKNN_ERROR_INVALID_STATE, fmt::format("Context::{} on an empty Context", call));
  std::shared_lock lock(s->mutex);
  if (!s->ctx) raise(VKNN_ERROR_INVALID_STATE, fmt::format("Context::{}: the context was destroyed", call));
  return lock;
}
}  // namespace

std::string Context::device_name() const {
  auto lock = lock_live(state_, "device_name");
  return state_->device_name;
}

VkDevice Context::device() const {
  if (!state_) return VK_NULL_HANDLE;
  std::shared_lock lock(state_->mutex);
  return state_->ctx ? state_->ctx->device() : VK_NULL_HANDLE;
}

uint32_t Context::queue_family() const {
  auto lock = lock_live(state_, "queue_family");
  return state_->family;
}

bool Context::valid() const {
  if (!state_) return false;
  std::shared_lock lock(state_->mutex);
  return state_->ctx != nullptr;
}

Context::Context() = default;
Context::Context(std::shared_ptr<State> s) : state_(std::move(s)) {}
Context::~Context() = default;
Context::Context(const Context&) = default;
Context& Context::operator=(const Context&) = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

}  // namespace vknn::api
