#include "vknn/engine/context.h"

#include "vknn/engine/memory.h"
#include "vknn/engine/pipeline.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace vknn {
namespace {

std::atomic<uint64_t> g_validation_messages{0};

VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                              VkDebugUtilsMessageTypeFlagsEXT,
                                              const VkDebugUtilsMessengerCallbackDataEXT* data, void*) {
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    g_validation_messages.fetch_add(1);
    std::fprintf(stderr, "vknn: validation %s: %s\n",
                 severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error" : "warning",
                 data->pMessage ? data->pMessage : "(no message)");
  }
  return VK_FALSE;
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

bool layer_available(const char* name) {
  uint32_t n = 0;
  vkEnumerateInstanceLayerProperties(&n, nullptr);
  std::vector<VkLayerProperties> layers(n);
  vkEnumerateInstanceLayerProperties(&n, layers.data());
  for (const auto& l : layers)
    if (std::strcmp(l.layerName, name) == 0) return true;
  return false;
}

bool instance_extension_available(const char* name) {
  uint32_t n = 0;
  vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> exts(n);
  vkEnumerateInstanceExtensionProperties(nullptr, &n, exts.data());
  for (const auto& e : exts)
    if (std::strcmp(e.extensionName, name) == 0) return true;
  return false;
}

struct InstanceHandles {
  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
};

Result<InstanceHandles> create_instance(const std::string& app_name, bool validation) {
  if (validation && !layer_available("VK_LAYER_KHRONOS_validation"))
    return make_error(Errc::unsupported,
                      "validation was requested but VK_LAYER_KHRONOS_validation is not installed "
                      "(Debian: apt-get install vulkan-validationlayers)");
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = app_name.c_str();
  app.pEngineName = "vknn";
  app.apiVersion = VK_API_VERSION_1_3;

  std::vector<const char*> layers, exts;
  const bool debug_utils = instance_extension_available(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  if (validation) layers.push_back("VK_LAYER_KHRONOS_validation");
  if (validation && debug_utils) exts.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);

  // Synchronization validation checks the barriers the recorder derives.
  VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
  VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
  features.enabledValidationFeatureCount = 1;
  features.pEnabledValidationFeatures = enables;

  VkDebugUtilsMessengerCreateInfoEXT dbg{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                    VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  dbg.pfnUserCallback = debug_callback;
  if (validation && debug_utils) {
    dbg.pNext = &features;  // also reports messages from vkCreateInstance itself
  }

  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ci.pApplicationInfo = &app;
  ci.enabledLayerCount = uint32_t(layers.size());
  ci.ppEnabledLayerNames = layers.data();
  ci.enabledExtensionCount = uint32_t(exts.size());
  ci.ppEnabledExtensionNames = exts.data();
  if (validation) ci.pNext = debug_utils ? static_cast<void*>(&dbg) : static_cast<void*>(&features);

  InstanceHandles h;
  VkResult r = vkCreateInstance(&ci, nullptr, &h.instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
    return Error{Errc::no_device, r, "vkCreateInstance failed: no Vulkan driver is installed "
                                     "(Debian: apt-get install mesa-vulkan-drivers for the lavapipe CPU driver)"};
  if (r != VK_SUCCESS) return vk_error(r, "vkCreateInstance");
  if (validation && debug_utils) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(h.instance, "vkCreateDebugUtilsMessengerEXT"));
    dbg.pNext = nullptr;
    if (create) create(h.instance, &dbg, nullptr, &h.messenger);
  }
  return h;
}

void destroy_instance(InstanceHandles& h) {
  if (h.messenger) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(h.instance, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(h.instance, h.messenger, nullptr);
  }
  if (h.instance) vkDestroyInstance(h.instance, nullptr);
  h = {};
}

int type_rank(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
    default: return 0;
  }
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Why a device cannot run vknn, or empty if it can.
std::string unusable_reason(const DeviceCaps& c) {
  if (c.api_version < VK_API_VERSION_1_2) return "needs Vulkan 1.2, device has " + api_version_string(c.api_version);
  if (!c.timeline_semaphore) return "no timeline semaphores";
  if (c.best_compute_family() < 0) return "no compute queue";
  return {};
}

Result<uint32_t> select_device(const std::vector<DeviceCaps>& devices, const DeviceSelector& sel) {
  if (devices.empty())
    return make_error(Errc::no_device, "no Vulkan physical device found (is a driver installed? "
                                       "Debian: apt-get install mesa-vulkan-drivers)");
  std::optional<uint32_t> index = sel.index;
  std::string name = sel.name_contains;
  std::string source = "the device selector";
  if (!index && name.empty() && sel.from_environment) {
    if (const char* env = std::getenv("VKNN_DEVICE"); env && *env) {
      std::string v = env;
      source = "VKNN_DEVICE=" + v;
      if (std::all_of(v.begin(), v.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }))
        index = uint32_t(std::stoul(v));
      else
        name = v;
    }
  }
  std::string listing;
  for (const auto& d : devices) listing += fmt::format("\n  [{}] {} ({})", d.index, d.name, device_type_name(d.type));
  if (index) {
    if (*index >= devices.size())
      return make_error(Errc::no_device, "{}: device index {} is out of range; devices:{}", source, *index, listing);
    if (auto why = unusable_reason(devices[*index]); !why.empty())
      return make_error(Errc::unsupported, "{}: device {} '{}' cannot run vknn: {}", source, *index,
                        devices[*index].name, why);
    return *index;
  }
  int best = -1;
  for (const auto& d : devices) {
    if (!unusable_reason(d).empty()) continue;
    if (!name.empty() && lower(d.name).find(lower(name)) == std::string::npos) continue;
    if (best < 0 || type_rank(d.type) > type_rank(devices[best].type)) best = int(d.index);
  }
  if (best < 0) {
    if (!name.empty())
      return make_error(Errc::no_device, "{}: no usable device name contains '{}'; devices:{}", source, name, listing);
    return make_error(Errc::no_device, "no device can run vknn (needs Vulkan 1.2 with timeline semaphores); devices:{}",
                      listing);
  }
  return uint32_t(best);
}

std::vector<VkPhysicalDevice> physical_devices(VkInstance instance) {
  uint32_t n = 0;
  vkEnumeratePhysicalDevices(instance, &n, nullptr);
  std::vector<VkPhysicalDevice> out(n);
  vkEnumeratePhysicalDevices(instance, &n, out.data());
  return out;
}

}  // namespace

uint64_t validation_message_count() { return g_validation_messages.load(); }
void forget_validation_messages(uint64_t n) { g_validation_messages.fetch_sub(n); }

Result<std::vector<DeviceCaps>> enumerate_devices() {
  VKNN_ASSIGN(InstanceHandles h, create_instance("vknn-enumerate", false));
  std::vector<DeviceCaps> out;
  auto phys = physical_devices(h.instance);
  for (uint32_t i = 0; i < phys.size(); ++i) out.push_back(query_caps(phys[i], i));
  destroy_instance(h);
  return out;
}

// ---------------------------------------------------------------------------- Queue

uint64_t Queue::last_submitted() const {
  std::lock_guard lock(mutex_);
  return value_;
}

Result<uint64_t> Queue::submit(std::span<const VkCommandBuffer> cmds, std::span<const SemaphoreWait> waits,
                               VkFence fence) {
  if (ctx_->lost()) return Error{Errc::device_lost, VK_ERROR_DEVICE_LOST, "submit refused: the device was lost earlier"};
  std::vector<VkSemaphore> wait_sems;
  std::vector<uint64_t> wait_values;
  std::vector<VkPipelineStageFlags> wait_stages;
  for (const auto& w : waits) {
    wait_sems.push_back(w.semaphore);
    wait_values.push_back(w.value);
    wait_stages.push_back(VK_PIPELINE_STAGE_ALL_COMMANDS_BIT);
  }
  std::lock_guard lock(mutex_);
  uint64_t signal = value_ + 1;
  VkTimelineSemaphoreSubmitInfo timeline{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
  timeline.waitSemaphoreValueCount = uint32_t(wait_values.size());
  timeline.pWaitSemaphoreValues = wait_values.data();
  timeline.signalSemaphoreValueCount = 1;
  timeline.pSignalSemaphoreValues = &signal;
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO, &timeline};
  si.waitSemaphoreCount = uint32_t(wait_sems.size());
  si.pWaitSemaphores = wait_sems.data();
  si.pWaitDstStageMask = wait_stages.data();
  si.commandBufferCount = uint32_t(cmds.size());
  si.pCommandBuffers = cmds.data();
  si.signalSemaphoreCount = 1;
  si.pSignalSemaphores = &timeline_;
  if (hooks_.lock) hooks_.lock();
  VkResult r = vkQueueSubmit(queue_, 1, &si, fence);
  if (hooks_.unlock) hooks_.unlock();
  if (r == VK_ERROR_DEVICE_LOST) ctx_->mark_lost();
  if (r != VK_SUCCESS) return vk_error(r, "vkQueueSubmit", fmt::format("queue family {} index {}", family_, index_));
  value_ = signal;
  return signal;
}

Status Queue::wait(uint64_t value, uint64_t timeout_ns) {
  VkSemaphoreWaitInfo wi{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
  wi.semaphoreCount = 1;
  wi.pSemaphores = &timeline_;
  wi.pValues = &value;
  VkResult r = vkWaitSemaphores(device_, &wi, timeout_ns);
  if (r == VK_TIMEOUT)
    return Error{Errc::timeout, r, fmt::format("waiting for queue {}:{} to reach {} timed out", family_, index_, value)};
  if (r == VK_ERROR_DEVICE_LOST) ctx_->mark_lost();
  if (r != VK_SUCCESS) return vk_error(r, "vkWaitSemaphores");
  return {};
}

Status Queue::wait_idle() {
  uint64_t v = last_submitted();
  return v ? wait(v) : Status{};
}

// ---------------------------------------------------------------------------- Context

Result<std::shared_ptr<Context>> Context::create(const ContextOptions& options) {
  const bool validation = options.validation || env_flag("VKNN_VALIDATION");
  VKNN_ASSIGN(InstanceHandles h, create_instance(options.application_name, validation));
  std::shared_ptr<Context> ctx(new Context());
  ctx->instance_ = h.instance;
  ctx->messenger_ = h.messenger;
  ctx->owns_ = true;
  ctx->force_staging_ = options.force_staging;

  auto phys = physical_devices(h.instance);
  std::vector<DeviceCaps> devices;
  for (uint32_t i = 0; i < phys.size(); ++i) devices.push_back(query_caps(phys[i], i));
  VKNN_ASSIGN(uint32_t chosen, select_device(devices, options.device));
  ctx->physical_ = phys[chosen];
  ctx->caps_ = devices[chosen];
  if (options.max_allocation_bytes &&
      (!ctx->caps_.max_memory_allocation_size || options.max_allocation_bytes < ctx->caps_.max_memory_allocation_size))
    ctx->caps_.max_memory_allocation_size = options.max_allocation_bytes;
  const DeviceCaps& caps = ctx->caps_;

  const uint32_t family = uint32_t(caps.best_compute_family());
  const uint32_t count = std::clamp(options.queue_count, 1u, caps.queue_families[family].count);
  std::vector<float> priorities(count, 1.0f);
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = family;
  qci.queueCount = count;
  qci.pQueuePriorities = priorities.data();

  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  f12.timelineSemaphore = VK_TRUE;
  f12.hostQueryReset = caps.host_query_reset;
  f12.shaderFloat16 = caps.shader_float16;
  VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, &f12};
  f11.storageBuffer16BitAccess = caps.storage_buffer_16bit;
  VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &f11};
  features.features.shaderInt64 = caps.shader_int64;

  std::vector<const char*> exts;
  if (caps.external_memory_host) exts.push_back(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);

  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, &features};
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  dci.enabledExtensionCount = uint32_t(exts.size());
  dci.ppEnabledExtensionNames = exts.data();
  VkResult r = vkCreateDevice(ctx->physical_, &dci, nullptr, &ctx->device_);
  if (r != VK_SUCCESS) return vk_error(r, "vkCreateDevice", caps.name);

  for (uint32_t i = 0; i < count; ++i) {
    auto q = std::make_unique<Queue>();
    q->family_ = family;
    q->index_ = i;
    vkGetDeviceQueue(ctx->device_, family, i, &q->queue_);
    ctx->queues_.push_back(std::move(q));
  }
  VKNN_TRY(ctx->init_device_objects(options.pipeline_cache_dir));
  return ctx;
}

Result<std::shared_ptr<Context>> Context::borrow(const BorrowInfo& info) {
  if (!info.instance || !info.physical_device || !info.device)
    return make_error(Errc::invalid_argument, "Context::borrow: instance, physical device and device must all be given");
  if (info.queues.empty()) return make_error(Errc::invalid_argument, "Context::borrow: at least one queue must be lent");
  if (info.api_version < VK_API_VERSION_1_2)
    return make_error(Errc::unsupported, "Context::borrow: the host's API version {} is below the 1.2 vknn needs",
                      api_version_string(info.api_version));
  if (!info.timeline_semaphore_enabled)
    return make_error(Errc::unsupported,
                      "Context::borrow: the host device must enable the timelineSemaphore feature "
                      "(VkPhysicalDeviceVulkan12Features::timelineSemaphore)");
  std::shared_ptr<Context> ctx(new Context());
  ctx->instance_ = info.instance;
  ctx->physical_ = info.physical_device;
  ctx->device_ = info.device;
  ctx->owns_ = false;
  ctx->caps_ = query_caps(info.physical_device, 0);
  // Only what the host enabled may be used.
  ctx->caps_.host_query_reset = info.host_query_reset_enabled;
  // BorrowInfo does not say whether the host enabled shaderInt64: kernels keep to 32 bits.
  ctx->caps_.shader_int64 = false;
  auto enabled = [&](const char* ext) {
    return std::find(info.enabled_device_extensions.begin(), info.enabled_device_extensions.end(), ext) !=
           info.enabled_device_extensions.end();
  };
  ctx->caps_.external_memory_host = enabled(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
  for (const auto& bq : info.queues) {
    if (bq.family >= ctx->caps_.queue_families.size() ||
        bq.index >= ctx->caps_.queue_families[bq.family].count)
      return make_error(Errc::invalid_argument, "Context::borrow: queue family {} index {} does not exist on '{}'",
                        bq.family, bq.index, ctx->caps_.name);
    if (!(ctx->caps_.queue_families[bq.family].flags & VK_QUEUE_COMPUTE_BIT))
      return make_error(Errc::unsupported, "Context::borrow: queue family {} has no compute support", bq.family);
    auto q = std::make_unique<Queue>();
    q->family_ = bq.family;
    q->index_ = bq.index;
    q->hooks_ = bq.hooks;
    vkGetDeviceQueue(info.device, bq.family, bq.index, &q->queue_);
    ctx->queues_.push_back(std::move(q));
  }
  VKNN_TRY(ctx->init_device_objects(info.pipeline_cache_dir));
  return ctx;
}

Status Context::init_device_objects(const std::string& cache_dir) {
  profile_ = make_device_profile(caps_);
  if (profile_.tune) {
    // The tuner's file is beside the pipeline cache; anything wrong with it is only a warning.
    std::vector<std::string> ignored;
    profile_.tuned = TuneTable::open(tune_file_path(cache_dir, caps_), TuneIdentity::of(caps_), &ignored);
    for (std::string& w : ignored) profile_.warnings.push_back(std::move(w));
  }
  for (const std::string& w : profile_.warnings) std::fprintf(stderr, "vknn: %s\n", w.c_str());
  for (auto& q : queues_) {
    q->device_ = device_;
    q->ctx_ = this;
    VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
    type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    VkSemaphoreCreateInfo sci{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type};
    VKNN_VK(vkCreateSemaphore(device_, &sci, nullptr, &q->timeline_));
  }
  VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = queues_[0]->family();
  VKNN_VK(vkCreateCommandPool(device_, &pci, nullptr, &transfer_pool_));
  VKNN_ASSIGN(cache_, PipelineCache::create(*this, cache_dir));
  return {};
}

Context::~Context() {
  if (device_) {
    if (!lost_) (void)wait_idle();
    staging_.reset();
    cache_.reset();  // saves the disk cache
    if (transfer_pool_) vkDestroyCommandPool(device_, transfer_pool_, nullptr);
    for (auto& q : queues_)
      if (q->timeline_) vkDestroySemaphore(device_, q->timeline_, nullptr);
  }
  if (owns_) {
    if (device_) vkDestroyDevice(device_, nullptr);
    InstanceHandles h{instance_, messenger_};
    destroy_instance(h);
  }
}

Result<const Pipeline*> Context::pipeline(ShaderId shader, std::span<const uint32_t> spec) {
  return cache_->get(shader, spec);
}

Status Context::wait_idle() {
  for (auto& q : queues_) VKNN_TRY(q->wait_idle());
  return {};
}

Status Context::upload(const BufferRef& dst, const void* data, VkDeviceSize size) {
  if (size > dst.size)
    return make_error(Errc::invalid_argument, "upload of {} bytes into a buffer range of {} bytes", size, dst.size);
  if (dst.mapped) {
    std::memcpy(dst.mapped, data, size);
    return {};
  }
  return copy_staged(dst, const_cast<void*>(data), size, true);
}

Status Context::download(const BufferRef& src, void* data, VkDeviceSize size) {
  if (size > src.size)
    return make_error(Errc::invalid_argument, "download of {} bytes from a buffer range of {} bytes", size, src.size);
  if (src.mapped) {
    std::memcpy(data, src.mapped, size);
    return {};
  }
  return copy_staged(src, data, size, false);
}

Status Context::copy_staged(const BufferRef& dev, void* host, VkDeviceSize size, bool to_device) {
  constexpr VkDeviceSize kChunk = VkDeviceSize(16) << 20;
  std::lock_guard lock(transfer_mutex_);
  if (!staging_) {
    VKNN_ASSIGN(Buffer b, Buffer::create(*this, kChunk, MemoryKind::readback));
    staging_ = std::make_unique<Buffer>(std::move(b));
  }
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = transfer_pool_;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer cmd;
  VKNN_VK(vkAllocateCommandBuffers(device_, &ai, &cmd));
  struct FreeCmd {
    VkDevice d; VkCommandPool p; VkCommandBuffer c;
    ~FreeCmd() { vkFreeCommandBuffers(d, p, 1, &c); }
  } free_cmd{device_, transfer_pool_, cmd};

  auto* bytes = static_cast<uint8_t*>(host);
  for (VkDeviceSize done = 0; done < size; done += kChunk) {
    const VkDeviceSize n = std::min(kChunk, size - done);
    if (to_device) std::memcpy(staging_->mapped(), bytes + done, n);
    VKNN_VK(vkResetCommandBuffer(cmd, 0));
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VKNN_VK(vkBeginCommandBuffer(cmd, &bi));
    VkBufferCopy region{0, dev.offset + done, n};
    if (to_device) {
      vkCmdCopyBuffer(cmd, staging_->handle(), dev.buffer, 1, &region);
    } else {
      std::swap(region.srcOffset, region.dstOffset);
      vkCmdCopyBuffer(cmd, dev.buffer, staging_->handle(), 1, &region);
      VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
      mb.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
      mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
      vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0,
                           nullptr);
    }
    VKNN_VK(vkEndCommandBuffer(cmd));
    // Wait for all earlier work on every queue, so the copy sees finished results.
    std::vector<SemaphoreWait> waits;
    for (auto& other : queues_)
      if (uint64_t last = other->last_submitted()) waits.push_back({other->timeline(), last});
    Queue& q = queue(0);
    VKNN_ASSIGN(uint64_t v, q.submit({&cmd, 1}, waits));
    VKNN_TRY(q.wait(v));
    if (!to_device) std::memcpy(bytes + done, staging_->mapped(), n);
  }
  return {};
}

}  // namespace vknn
