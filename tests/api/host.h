// What an application embedding vknn does for itself: its own VkInstance (here with the
// Khronos validation layer, synchronization validation on, and a messenger that counts
// every warning and error), its own VkDevice with timeline semaphores, its own buffers and
// command buffers. Only the public headers of libvknn are used by these tests.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <mutex>
#include <cstdint>
#include <string>
#include <vector>

namespace host {

// Messages the validation layer printed (warnings and errors), in this process.
uint64_t validation_messages();
// Subtracts messages a test provoked on purpose.
void forget_messages(uint64_t n);

// The instance, shared by the whole test run. Null when no Vulkan driver or no usable
// device (the suite then exits 77).
struct Instance {
  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  uint32_t compute_family = 0;
  std::string skip_reason;  // why no device, if none
};
Instance& instance();
bool create_instance();  // false: skip (reason in instance().skip_reason) or fatal (printed)
void destroy_instance();

// A host buffer: host-visible, host-coherent, mapped; usable as transfer source and
// destination and as a storage buffer.
struct HostBuffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  void* mapped = nullptr;
  float* floats() const { return static_cast<float*>(mapped); }
};

// One VkDevice with timeline semaphores and one compute queue, as an app makes it.
struct Device {
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t family = 0;
  VkCommandPool pool = VK_NULL_HANDLE;
  // The queue is shared with vknn: Vulkan requires external synchronization of a VkQueue,
  // so the host lends these as HostDevice::lock_queue / unlock_queue.
  std::mutex queue_mutex;
  std::atomic<int> locks{0}, unlocks{0};
  void lock_queue() { queue_mutex.lock(), ++locks; }
  void unlock_queue() { ++unlocks, queue_mutex.unlock(); }

  // timeline: enable VkPhysicalDeviceVulkan12Features::timelineSemaphore.
  explicit Device(bool timeline = true);
  ~Device();  // vkDestroyDevice (the layer reports leaked objects there)
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  HostBuffer buffer(VkDeviceSize bytes);
  void destroy(HostBuffer& b);
  VkCommandBuffer begin();                    // a primary from `pool`, begun (one-time submit)
  void submit_and_wait(VkCommandBuffer cmd);  // ends, submits with a fence, waits, frees
  void destroy_now();                         // vkDestroyDevice before the destructor
};

}  // namespace host
