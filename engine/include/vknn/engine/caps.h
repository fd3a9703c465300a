// What a physical device can do, read once when a Context is made (and by
// `vknn devices`).
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vknn {

struct QueueFamilyCaps {
  uint32_t index = 0;
  uint32_t count = 0;
  VkQueueFlags flags = 0;
  uint32_t timestamp_valid_bits = 0;
};

struct MemoryHeapCaps {
  uint64_t size = 0;
  bool device_local = false;
};

struct DeviceCaps {
  uint32_t index = 0;  // position in vkEnumeratePhysicalDevices
  std::string name;
  VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
  uint32_t vendor_id = 0, device_id = 0;
  uint32_t api_version = 0, driver_version = 0;
  std::string driver_name, driver_info;
  VkDriverId driver_id = VkDriverId(0);  // VkPhysicalDeviceDriverProperties::driverID
  std::array<uint8_t, VK_UUID_SIZE> device_uuid{}, driver_uuid{}, pipeline_cache_uuid{};

  // Subgroups (VkPhysicalDeviceSubgroupProperties).
  uint32_t subgroup_size = 0;
  VkSubgroupFeatureFlags subgroup_operations = 0;
  bool subgroup_in_compute = false;

  // Storage and arithmetic types.
  bool storage_buffer_16bit = false, shader_float16 = false;
  bool shader_int64 = false;  // VkPhysicalDeviceFeatures::shaderInt64 (64-bit integers in shaders)
  bool storage_buffer_8bit = false, shader_int8 = false;

  bool timeline_semaphore = false;
  bool synchronization2 = false;
  bool host_query_reset = false;
  bool cooperative_matrix = false;  // VK_KHR_cooperative_matrix or VK_NV_cooperative_matrix
  bool external_memory_host = false;

  float timestamp_period_ns = 0;
  uint32_t max_workgroup_count[3] = {};
  uint32_t max_workgroup_size[3] = {};
  uint32_t max_workgroup_invocations = 0;
  uint32_t max_shared_memory = 0;
  uint32_t max_push_constants = 0;
  uint64_t max_storage_buffer_range = 0;
  uint64_t min_storage_buffer_offset_alignment = 0;
  uint64_t max_memory_allocation_size = 0;

  std::vector<QueueFamilyCaps> queue_families;
  std::vector<MemoryHeapCaps> memory_heaps;
  std::vector<std::string> extensions;

  bool has_extension(const char* name) const;
  // The family vknn submits compute work to: compute without graphics if there is one.
  int best_compute_family() const;
};

const char* device_type_name(VkPhysicalDeviceType t);
std::string api_version_string(uint32_t v);
std::string subgroup_ops_string(VkSubgroupFeatureFlags f);
std::string queue_flags_string(VkQueueFlags f);

DeviceCaps query_caps(VkPhysicalDevice physical, uint32_t index);

}  // namespace vknn
