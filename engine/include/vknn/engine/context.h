// A Context is one VkDevice and the queues vknn submits to. It either owns the
// device (Context::create picks a physical device and makes everything) or borrows
// a host application's instance, device and queues (Context::borrow), in which case
// it never destroys them.
#pragma once

#include "vknn/engine/caps.h"
#include "vknn/engine/profile.h"
#include "vknn/engine/result.h"
#include "vknn/shader_ids.h"

#include <vulkan/vulkan.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vknn {

class Buffer;
struct BufferRef;
class PipelineCache;
struct Pipeline;

// Which physical device Context::create picks. Default: discrete GPU over integrated
// over virtual over CPU, ties broken by enumeration order. The environment variable
// VKNN_DEVICE (an index, or a substring of the device name) overrides the default but
// not an explicit selector.
struct DeviceSelector {
  std::optional<uint32_t> index;  // index in vkEnumeratePhysicalDevices order
  std::string name_contains;      // case-insensitive substring of deviceName
  bool from_environment = true;   // consult VKNN_DEVICE when neither field is set
};

struct ContextOptions {
  DeviceSelector device;
  // Enable VK_LAYER_KHRONOS_validation with synchronization validation. Also turned on
  // by VKNN_VALIDATION=1. Every message is printed and counted (validation_message_count).
  bool validation = false;
  // Number of compute queues to create from the best compute family (clamped to what
  // the family offers; lavapipe has one).
  uint32_t queue_count = 1;
  // Directory of the on-disk pipeline cache. Empty: VKNN_PIPELINE_CACHE_DIR, then
  // $XDG_CACHE_HOME/vknn, then $HOME/.cache/vknn. "-" disables the disk cache.
  std::string pipeline_cache_dir;
  // Never map device-local memory even where it is host-visible, so that every upload
  // and download goes through a staging buffer (tests the path real dGPUs take).
  bool force_staging = false;
  // Refuse allocations larger than this (0: the device's maxMemoryAllocationSize), as a
  // smaller device would: to test out-of-memory handling, or to leave room for others.
  uint64_t max_allocation_bytes = 0;
  std::string application_name = "vknn";
};

// A queue vknn submits to. Submissions signal the queue's timeline semaphore.
struct QueueLockHooks {
  // Called around every vkQueueSubmit to a queue shared with the host (Vulkan requires
  // external synchronization of a VkQueue). Both null: vknn uses its own mutex only.
  std::function<void()> lock;
  std::function<void()> unlock;
};

struct BorrowedQueue {
  uint32_t family = 0;
  uint32_t index = 0;
  QueueLockHooks hooks;
};

// What a host application lends. Vulkan cannot report which API version, extensions
// and features the host enabled on its device, so the host states them here. Lifetime:
// instance, physical device and device must outlive the Context and every object made
// from it; the host destroys them itself, after the Context.
struct BorrowInfo {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  uint32_t api_version = VK_API_VERSION_1_2;  // the apiVersion the host created the instance with
  std::vector<std::string> enabled_device_extensions;
  bool timeline_semaphore_enabled = false;  // VkPhysicalDeviceVulkan12Features::timelineSemaphore
  bool host_query_reset_enabled = false;
  std::vector<BorrowedQueue> queues;  // at least one, from a family with VK_QUEUE_COMPUTE_BIT
  std::string pipeline_cache_dir = "-";
};

struct SemaphoreWait {
  VkSemaphore semaphore;
  uint64_t value;
};

class Queue {
 public:
  VkQueue handle() const { return queue_; }
  uint32_t family() const { return family_; }
  uint32_t index() const { return index_; }
  VkSemaphore timeline() const { return timeline_; }
  // The value the last submission signals (0 before any submission).
  uint64_t last_submitted() const;

  // Submits command buffers; waits for `waits` (timeline values on any semaphore, at
  // all commands), then signals this queue's timeline with a new value, returned.
  // An optional fence is signalled too.
  Result<uint64_t> submit(std::span<const VkCommandBuffer> cmds, std::span<const SemaphoreWait> waits = {},
                          VkFence fence = VK_NULL_HANDLE);
  // Blocks until the timeline reaches `value`. Times out with Errc::timeout;
  // VK_ERROR_DEVICE_LOST is reported as Errc::device_lost.
  Status wait(uint64_t value, uint64_t timeout_ns = UINT64_MAX);
  Status wait_idle();

 private:
  friend class Context;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  uint32_t family_ = 0, index_ = 0;
  VkSemaphore timeline_ = VK_NULL_HANDLE;
  uint64_t value_ = 0;
  QueueLockHooks hooks_;
  mutable std::mutex mutex_;
  class Context* ctx_ = nullptr;
};

class Context {
 public:
  static Result<std::shared_ptr<Context>> create(const ContextOptions& options = {});
  static Result<std::shared_ptr<Context>> borrow(const BorrowInfo& info);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  VkInstance instance() const { return instance_; }
  VkPhysicalDevice physical_device() const { return physical_; }
  VkDevice device() const { return device_; }
  const DeviceCaps& caps() const { return caps_; }
  // Every per-device kernel choice, resolved when the Context was made (profile.h).
  const DeviceProfile& profile() const { return profile_; }
  bool owns_device() const { return owns_; }
  bool force_staging() const { return force_staging_; }
  // True once any call has seen VK_ERROR_DEVICE_LOST.
  bool lost() const { return lost_; }
  void mark_lost() { lost_ = true; }

  uint32_t queue_count() const { return static_cast<uint32_t>(queues_.size()); }
  Queue& queue(uint32_t i = 0) { return *queues_.at(i); }

  // The compute pipeline for a shader and its specialization constants (constant_id
  // i gets spec[i]); created on first use, then shared.
  Result<const Pipeline*> pipeline(ShaderId shader, std::span<const uint32_t> spec = {});
  PipelineCache& pipeline_cache() { return *cache_; }

  // Host <-> device copies, staged through a host-visible buffer unless the target is
  // mapped. Blocking.
  Status upload(const BufferRef& dst, const void* data, VkDeviceSize size);
  Status download(const BufferRef& src, void* data, VkDeviceSize size);

  Status wait_idle();

 private:
  Context() = default;
  Status init_device_objects(const std::string& cache_dir);
  Status copy_staged(const BufferRef& device_buf, void* host, VkDeviceSize size, bool to_device);

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  bool owns_ = false;
  bool force_staging_ = false;
  bool lost_ = false;
  DeviceCaps caps_;
  DeviceProfile profile_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::unique_ptr<PipelineCache> cache_;
  std::mutex transfer_mutex_;
  VkCommandPool transfer_pool_ = VK_NULL_HANDLE;
  std::unique_ptr<Buffer> staging_;
};

// Lists every physical device (own short-lived instance). An empty list is not an error.
Result<std::vector<DeviceCaps>> enumerate_devices();

// Number of validation-layer messages seen by any Context in this process (tests fail
// when it grows).
uint64_t validation_message_count();
// Subtracts messages a test provoked on purpose.
void forget_validation_messages(uint64_t n);

}  // namespace vknn
