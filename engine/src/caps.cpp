#include "vknn/engine/caps.h"

#include <fmt/format.h>

#include <cstring>

namespace vknn {

bool DeviceCaps::has_extension(const char* ext) const {
  for (const auto& e : extensions)
    if (e == ext) return true;
  return false;
}

int DeviceCaps::best_compute_family() const {
  int best = -1;
  for (const auto& f : queue_families) {
    if (!(f.flags & VK_QUEUE_COMPUTE_BIT)) continue;
    // A compute-only family runs beside graphics work on real GPUs; prefer it.
    bool dedicated = !(f.flags & VK_QUEUE_GRAPHICS_BIT);
    if (best < 0 || (dedicated && (queue_families[best].flags & VK_QUEUE_GRAPHICS_BIT))) best = int(f.index);
  }
  return best;
}

const char* device_type_name(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete-gpu";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated-gpu";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual-gpu";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
  }
}

std::string api_version_string(uint32_t v) {
  return fmt::format("{}.{}.{}", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v), VK_API_VERSION_PATCH(v));
}

std::string subgroup_ops_string(VkSubgroupFeatureFlags f) {
  static const std::pair<VkSubgroupFeatureFlagBits, const char*> names[] = {
      {VK_SUBGROUP_FEATURE_BASIC_BIT, "basic"},       {VK_SUBGROUP_FEATURE_VOTE_BIT, "vote"},
      {VK_SUBGROUP_FEATURE_ARITHMETIC_BIT, "arithmetic"}, {VK_SUBGROUP_FEATURE_BALLOT_BIT, "ballot"},
      {VK_SUBGROUP_FEATURE_SHUFFLE_BIT, "shuffle"},   {VK_SUBGROUP_FEATURE_SHUFFLE_RELATIVE_BIT, "shuffle-relative"},
      {VK_SUBGROUP_FEATURE_CLUSTERED_BIT, "clustered"}, {VK_SUBGROUP_FEATURE_QUAD_BIT, "quad"}};
  std::string s;
  for (auto [bit, name] : names)
    if (f & bit) s += s.empty() ? name : fmt::format(",{}", name);
  return s;
}

std::string queue_flags_string(VkQueueFlags f) {
  std::string s;
  auto add = [&](VkQueueFlags bit, const char* n) {
    if (f & bit) s += s.empty() ? n : fmt::format(",{}", n);
  };
  add(VK_QUEUE_GRAPHICS_BIT, "graphics");
  add(VK_QUEUE_COMPUTE_BIT, "compute");
  add(VK_QUEUE_TRANSFER_BIT, "transfer");
  add(VK_QUEUE_SPARSE_BINDING_BIT, "sparse");
  return s;
}

DeviceCaps query_caps(VkPhysicalDevice physical, uint32_t index) {
  DeviceCaps c;
  c.index = index;

  uint32_t n = 0;
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> exts(n);
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &n, exts.data());
  for (const auto& e : exts) c.extensions.emplace_back(e.extensionName);

  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceSubgroupProperties subgroup{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES, &driver};
  VkPhysicalDeviceIDProperties ids{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES, &subgroup};
  VkPhysicalDeviceMaintenance3Properties maint3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES, &ids};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &maint3};
  vkGetPhysicalDeviceProperties2(physical, &props);
  const VkPhysicalDeviceLimits& lim = props.properties.limits;

  c.name = props.properties.deviceName;
  c.type = props.properties.deviceType;
  c.vendor_id = props.properties.vendorID;
  c.device_id = props.properties.deviceID;
  c.api_version = props.properties.apiVersion;
  c.driver_version = props.properties.driverVersion;
  std::memcpy(c.pipeline_cache_uuid.data(), props.properties.pipelineCacheUUID, VK_UUID_SIZE);
  std::memcpy(c.device_uuid.data(), ids.deviceUUID, VK_UUID_SIZE);
  std::memcpy(c.driver_uuid.data(), ids.driverUUID, VK_UUID_SIZE);
  c.driver_name = driver.driverName;
  c.driver_info = driver.driverInfo;
  c.driver_id = driver.driverID;
  c.subgroup_size = subgroup.subgroupSize;
  c.subgroup_operations = subgroup.supportedOperations;
  c.subgroup_in_compute = subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT;
  c.timestamp_period_ns = lim.timestampPeriod;
  for (int i = 0; i < 3; ++i) {
    c.max_workgroup_count[i] = lim.maxComputeWorkGroupCount[i];
    c.max_workgroup_size[i] = lim.maxComputeWorkGroupSize[i];
  }
  c.max_workgroup_invocations = lim.maxComputeWorkGroupInvocations;
  c.max_shared_memory = lim.maxComputeSharedMemorySize;
  c.max_push_constants = lim.maxPushConstantsSize;
  c.max_storage_buffer_range = lim.maxStorageBufferRange;
  c.min_storage_buffer_offset_alignment = lim.minStorageBufferOffsetAlignment;
  c.max_memory_allocation_size = maint3.maxMemoryAllocationSize;

  VkPhysicalDeviceVulkan13Features f13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, &f12};
  if (c.api_version >= VK_API_VERSION_1_3) f12.pNext = &f13;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &f11};
  if (c.api_version >= VK_API_VERSION_1_2) vkGetPhysicalDeviceFeatures2(physical, &features);
  c.storage_buffer_16bit = f11.storageBuffer16BitAccess;
  c.shader_float16 = f12.shaderFloat16;
  c.shader_int64 = features.features.shaderInt64;
  c.storage_buffer_8bit = f12.storageBuffer8BitAccess;
  c.shader_int8 = f12.shaderInt8;
  c.timeline_semaphore = f12.timelineSemaphore;
  c.host_query_reset = f12.hostQueryReset;
  c.synchronization2 = f13.synchronization2 || c.has_extension("VK_KHR_synchronization2");
  c.cooperative_matrix = c.has_extension("VK_KHR_cooperative_matrix") || c.has_extension("VK_NV_cooperative_matrix");
  c.external_memory_host = c.has_extension(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);

  vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, nullptr);
  std::vector<VkQueueFamilyProperties> qf(n);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, qf.data());
  for (uint32_t i = 0; i < n; ++i)
    c.queue_families.push_back({i, qf[i].queueCount, qf[i].queueFlags, qf[i].timestampValidBits});

  VkPhysicalDeviceMemoryProperties mem;
  vkGetPhysicalDeviceMemoryProperties(physical, &mem);
  for (uint32_t i = 0; i < mem.memoryHeapCount; ++i)
    c.memory_heaps.push_back({mem.memoryHeaps[i].size, bool(mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)});
  return c;
}

}  // namespace vknn
