#include "host.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

namespace host {
namespace {

std::atomic<uint64_t> g_messages{0};

VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                          VkDebugUtilsMessageTypeFlagsEXT,
                                          const VkDebugUtilsMessengerCallbackDataEXT* data, void*) {
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    g_messages.fetch_add(1);
    std::fprintf(stderr, "host: validation %s: %s\n",
                 severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error" : "warning",
                 data->pMessage ? data->pMessage : "(no message)");
  }
  return VK_FALSE;
}

bool has_layer(const char* name) {
  uint32_t n = 0;
  vkEnumerateInstanceLayerProperties(&n, nullptr);
  std::vector<VkLayerProperties> v(n);
  vkEnumerateInstanceLayerProperties(&n, v.data());
  for (const auto& l : v)
    if (!std::strcmp(l.layerName, name)) return true;
  return false;
}

void check_vk(VkResult r, const char* call) { REQUIRE_MESSAGE(r == VK_SUCCESS, call << " returned " << int(r)); }

}  // namespace

uint64_t validation_messages() { return g_messages.load(); }
void forget_messages(uint64_t n) { g_messages.fetch_sub(n); }

Instance& instance() {
  static Instance i;
  return i;
}

bool create_instance() {
  Instance& in = instance();
  if (!has_layer("VK_LAYER_KHRONOS_validation")) {
    std::fprintf(stderr, "VK_LAYER_KHRONOS_validation is not installed (Debian: vulkan-validationlayers)\n");
    return false;
  }
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "vknn-api-tests";
  app.apiVersion = VK_API_VERSION_1_2;
  const char* layers[] = {"VK_LAYER_KHRONOS_validation"};
  const char* exts[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
  VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
  VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
  features.enabledValidationFeatureCount = 1;
  features.pEnabledValidationFeatures = enables;
  VkDebugUtilsMessengerCreateInfoEXT dbg{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT, &features};
  dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                    VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  dbg.pfnUserCallback = on_message;
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, &dbg};
  ci.pApplicationInfo = &app;
  ci.enabledLayerCount = 1;
  ci.ppEnabledLayerNames = layers;
  ci.enabledExtensionCount = 1;
  ci.ppEnabledExtensionNames = exts;
  VkResult r = vkCreateInstance(&ci, nullptr, &in.instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
    in.skip_reason = "no Vulkan driver";
    return false;
  }
  if (r != VK_SUCCESS) {
    std::fprintf(stderr, "vkCreateInstance failed: %d\n", int(r));
    return false;
  }
  auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
      vkGetInstanceProcAddr(in.instance, "vkCreateDebugUtilsMessengerEXT"));
  dbg.pNext = nullptr;
  if (create) create(in.instance, &dbg, nullptr, &in.messenger);

  uint32_t n = 0;
  vkEnumeratePhysicalDevices(in.instance, &n, nullptr);
  std::vector<VkPhysicalDevice> phys(n);
  vkEnumeratePhysicalDevices(in.instance, &n, phys.data());
  for (VkPhysicalDevice p : phys) {
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(p, &props);
    VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceFeatures2 f{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &f12};
    if (props.apiVersion < VK_API_VERSION_1_2) continue;
    vkGetPhysicalDeviceFeatures2(p, &f);
    if (!f12.timelineSemaphore) continue;
    uint32_t nf = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(p, &nf, nullptr);
    std::vector<VkQueueFamilyProperties> fams(nf);
    vkGetPhysicalDeviceQueueFamilyProperties(p, &nf, fams.data());
    for (uint32_t i = 0; i < nf; ++i)
      if (fams[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
        in.physical = p;
        in.compute_family = i;
        return true;
      }
  }
  in.skip_reason = "no Vulkan 1.2 device with timeline semaphores and a compute queue";
  return false;
}

void destroy_instance() {
  Instance& in = instance();
  if (in.messenger) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(in.instance, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(in.instance, in.messenger, nullptr);
  }
  if (in.instance) vkDestroyInstance(in.instance, nullptr);
  in = Instance{};
}

Device::Device(bool timeline) {
  const Instance& in = instance();
  REQUIRE(in.physical);
  family = in.compute_family;
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo q{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  q.queueFamilyIndex = family;
  q.queueCount = 1;
  q.pQueuePriorities = &priority;
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  f12.timelineSemaphore = timeline ? VK_TRUE : VK_FALSE;
  VkPhysicalDeviceFeatures2 f{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &f12};
  VkDeviceCreateInfo ci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, &f};
  ci.queueCreateInfoCount = 1;
  ci.pQueueCreateInfos = &q;
  check_vk(vkCreateDevice(in.physical, &ci, nullptr, &device), "vkCreateDevice");
  vkGetDeviceQueue(device, family, 0, &queue);
  VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pci.queueFamilyIndex = family;
  check_vk(vkCreateCommandPool(device, &pci, nullptr, &pool), "vkCreateCommandPool");
}

Device::~Device() { destroy_now(); }

void Device::destroy_now() {
  if (!device) return;
  vkDeviceWaitIdle(device);
  vkDestroyCommandPool(device, pool, nullptr);
  vkDestroyDevice(device, nullptr);
  device = VK_NULL_HANDLE;
}

HostBuffer Device::buffer(VkDeviceSize bytes) {
  HostBuffer b;
  b.size = bytes;
  VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  bi.size = bytes;
  bi.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  check_vk(vkCreateBuffer(device, &bi, nullptr, &b.buffer), "vkCreateBuffer");
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device, b.buffer, &req);
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(instance().physical, &mp);
  const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  uint32_t type = UINT32_MAX;
  for (uint32_t i = 0; i < mp.memoryTypeCount; ++i)
    if ((req.memoryTypeBits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) {
      type = i;
      break;
    }
  REQUIRE_MESSAGE(type != UINT32_MAX, "no host-visible coherent memory type");
  VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = type;
  check_vk(vkAllocateMemory(device, &ai, nullptr, &b.memory), "vkAllocateMemory");
  check_vk(vkBindBufferMemory(device, b.buffer, b.memory, 0), "vkBindBufferMemory");
  check_vk(vkMapMemory(device, b.memory, 0, VK_WHOLE_SIZE, 0, &b.mapped), "vkMapMemory");
  return b;
}

void Device::destroy(HostBuffer& b) {
  if (b.buffer) vkDestroyBuffer(device, b.buffer, nullptr);
  if (b.memory) vkFreeMemory(device, b.memory, nullptr);
  b = HostBuffer{};
}

VkCommandBuffer Device::begin() {
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = pool;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer cmd;
  check_vk(vkAllocateCommandBuffers(device, &ai, &cmd), "vkAllocateCommandBuffers");
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  check_vk(vkBeginCommandBuffer(cmd, &bi), "vkBeginCommandBuffer");
  return cmd;
}

void Device::submit_and_wait(VkCommandBuffer cmd) {
  check_vk(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
  VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence;
  check_vk(vkCreateFence(device, &fi, nullptr, &fence), "vkCreateFence");
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd;
  {
    // vknn submits to this queue too (Session::run); the hooks lent to it take this mutex.
    std::lock_guard lock(queue_mutex);
    check_vk(vkQueueSubmit(queue, 1, &si, fence), "vkQueueSubmit");
  }
  check_vk(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences");
  vkDestroyFence(device, fence, nullptr);
  vkFreeCommandBuffers(device, pool, 1, &cmd);
}

}  // namespace host
