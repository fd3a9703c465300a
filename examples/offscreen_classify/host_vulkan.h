// The host application's own Vulkan objects, as a renderer would have them before it meets
// vknn: an instance (optionally with the Khronos validation layer and synchronization
// validation, counting every message), one device with one graphics+compute queue and
// timeline semaphores enabled, and small buffer/image helpers.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

namespace example {

// Thrown when there is no usable Vulkan device; main() exits 77 (CTest: skipped).
struct NoDevice : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws std::runtime_error naming the call when r is not VK_SUCCESS.
void check(VkResult r, const char* call);

struct HostOptions {
  bool validation = false;
  int device_index = -1;  // -1: best device (discrete > integrated > virtual > CPU)
};

class Host {
 public:
  explicit Host(const HostOptions& options);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queue_family = 0;
  uint32_t api_version = VK_API_VERSION_1_2;  // what the instance was created with
  std::string device_name;
  // Vulkan requires external synchronization of a VkQueue: the host and vknn both submit to
  // `queue`, so both take this mutex around vkQueueSubmit (vknn through its lock hooks).
  std::mutex queue_mutex;

  bool validation() const { return messenger_ != VK_NULL_HANDLE; }
  // Validation messages (warnings and errors) printed so far, including instance creation.
  static uint64_t validation_messages();

  uint32_t memory_type(uint32_t type_bits, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred) const;

 private:
  void init(const HostOptions& options);
  void release();
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
};

// A buffer with its own memory; mapped when the memory is host-visible.
struct HostBuffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  void* mapped = nullptr;
  void create(const Host& host, VkDeviceSize bytes, VkBufferUsageFlags usage, VkMemoryPropertyFlags required,
              VkMemoryPropertyFlags preferred = 0);
  void destroy(VkDevice device);
};

// A 2D colour attachment with one mip level and its view.
struct HostImage {
  VkImage image = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkImageView view = VK_NULL_HANDLE;
  void create(const Host& host, uint32_t width, uint32_t height, VkFormat format, VkImageUsageFlags usage);
  void destroy(VkDevice device);
};

}  // namespace example
