// Device selection, capabilities and borrowing a host's device.
#include "gpu.h"

#include <cstdlib>
#include <cstring>

using namespace vknn;
using namespace vknn::test;

namespace {

struct AxpbPush {  // mirrors shaders/engine_test_axpb.comp
  uint32_t n;
  float a, b, group_term;
};
static_assert(sizeof(AxpbPush) == 16);

ContextOptions validated() {
  ContextOptions o;
  o.validation = true;
  o.pipeline_cache_dir = "-";
  return o;
}

}  // namespace

TEST_CASE("engine: enumerate_devices lists the test device with its capabilities") {
  auto devices = enumerate_devices();
  REQUIRE_OK(devices);
  REQUIRE(!devices->empty());
  const DeviceCaps& c = gpu().caps();
  CHECK(c.timeline_semaphore);
  CHECK(c.subgroup_size > 0);
  CHECK(c.timestamp_period_ns > 0);
  CHECK(!c.queue_families.empty());
  CHECK(!c.memory_heaps.empty());
  CHECK(c.max_workgroup_count[0] > 0);
  CHECK(c.best_compute_family() >= 0);
  bool found = false;
  for (const auto& d : *devices) found = found || d.name == c.name;
  CHECK(found);
}

TEST_CASE("engine: device selection by index, by name and by environment") {
  auto devices = enumerate_devices();
  REQUIRE_OK(devices);
  const std::string name = gpu().caps().name;
  const uint32_t index = gpu().caps().index;

  SUBCASE("by index") {
    ContextOptions o = validated();
    o.device.index = index;
    auto ctx = Context::create(o);
    REQUIRE_OK(ctx);
    CHECK((*ctx)->caps().name == name);
  }
  SUBCASE("by a case-insensitive name substring") {
    ContextOptions o = validated();
    std::string part = name.substr(0, std::min<size_t>(name.size(), 6));
    for (auto& ch : part) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    o.device.name_contains = part;
    auto ctx = Context::create(o);
    REQUIRE_OK(ctx);
    CHECK((*ctx)->caps().name.find(name.substr(0, 6)) != std::string::npos);
  }
  SUBCASE("VKNN_DEVICE names a device that does not exist") {
    ::setenv("VKNN_DEVICE", "no-such-device-anywhere", 1);
    auto ctx = Context::create(validated());
    ::unsetenv("VKNN_DEVICE");
    REQUIRE(!ctx.ok());
    CHECK(ctx.error().code == Errc::no_device);
    CHECK(ctx.error().message.find("VKNN_DEVICE=no-such-device-anywhere") != std::string::npos);
    CHECK(ctx.error().message.find(name) != std::string::npos);  // lists what exists
  }
  SUBCASE("VKNN_DEVICE by index") {
    ::setenv("VKNN_DEVICE", std::to_string(index).c_str(), 1);
    auto ctx = Context::create(validated());
    ::unsetenv("VKNN_DEVICE");
    REQUIRE_OK(ctx);
    CHECK((*ctx)->caps().index == index);
  }
  SUBCASE("an explicit index out of range") {
    ContextOptions o = validated();
    o.device.index = uint32_t(devices->size() + 7);
    auto ctx = Context::create(o);
    REQUIRE(!ctx.ok());
    CHECK(ctx.error().code == Errc::no_device);
    CHECK(ctx.error().message.find("out of range") != std::string::npos);
  }
}

TEST_CASE("engine: borrow a host device, dispatch on it, and leave it usable") {
  // The "host application": its own instance (validated) and device.
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.apiVersion = VK_API_VERSION_1_2;
  const char* layer = "VK_LAYER_KHRONOS_validation";
  VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
  VkValidationFeaturesEXT vf{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
  vf.enabledValidationFeatureCount = 1;
  vf.pEnabledValidationFeatures = &sync;
  VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, &vf};
  ici.pApplicationInfo = &app;
  ici.enabledLayerCount = 1;
  ici.ppEnabledLayerNames = &layer;
  VkInstance instance;
  REQUIRE(vkCreateInstance(&ici, nullptr, &instance) == VK_SUCCESS);
  uint32_t n = 0;
  vkEnumeratePhysicalDevices(instance, &n, nullptr);
  std::vector<VkPhysicalDevice> phys(n);
  vkEnumeratePhysicalDevices(instance, &n, phys.data());
  VkPhysicalDevice pd = phys.at(gpu().caps().index);
  const int family = query_caps(pd, 0).best_compute_family();
  REQUIRE(family >= 0);

  float prio = 1.0f;
  VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qci.queueFamilyIndex = uint32_t(family);
  qci.queueCount = 1;
  qci.pQueuePriorities = &prio;
  VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  f12.timelineSemaphore = VK_TRUE;
  VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, &f12};
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  VkDevice device;
  REQUIRE(vkCreateDevice(pd, &dci, nullptr, &device) == VK_SUCCESS);

  int locks = 0, unlocks = 0;
  BorrowInfo info;
  info.instance = instance;
  info.physical_device = pd;
  info.device = device;
  info.api_version = VK_API_VERSION_1_2;
  info.timeline_semaphore_enabled = true;
  info.queues.push_back({uint32_t(family), 0, {[&] { ++locks; }, [&] { ++unlocks; }}});

  SUBCASE("a dispatch on the borrowed device") {
    {
      auto ctx = Context::borrow(info);
      REQUIRE_OK(ctx);
      Context& c = **ctx;
      CHECK(!c.owns_device());
      std::vector<float> x = {1, 2, 3, 4, 5};
      auto bx = Buffer::create(c, 20), by = Buffer::create(c, 20);
      REQUIRE_OK(bx);
      REQUIRE_OK(by);
      REQUIRE_OK(c.upload(bx->ref(), x.data(), 20));
      auto cl = CommandList::create(c);
      REQUIRE_OK(cl);
      REQUIRE_OK(cl->begin());
      const uint32_t spec[] = {64};
      cl->dispatch(ShaderId::engine_test_axpb, spec, {{bx->ref(), Access::read}, {by->ref(), Access::write}},
                   AxpbPush{5, 2.0f, 1.0f, 0.0f}, 1);
      REQUIRE_OK(cl->end());
      REQUIRE_OK(cl->run());
      std::vector<float> y(5);
      REQUIRE_OK(c.download(by->ref(), y.data(), 20));
      CHECK(y == std::vector<float>{3, 5, 7, 9, 11});
      CHECK(locks >= 1);
      CHECK(locks == unlocks);
    }  // the engine is gone; the host's device must still work
    VkQueue q;
    vkGetDeviceQueue(device, uint32_t(family), 0, &q);
    CHECK(vkQueueWaitIdle(q) == VK_SUCCESS);
    VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = 64;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    VkBuffer buf;
    CHECK(vkCreateBuffer(device, &bci, nullptr, &buf) == VK_SUCCESS);
    vkDestroyBuffer(device, buf, nullptr);
  }
  SUBCASE("a host that did not enable timeline semaphores is refused") {
    info.timeline_semaphore_enabled = false;
    auto ctx = Context::borrow(info);
    REQUIRE(!ctx.ok());
    CHECK(ctx.error().code == Errc::unsupported);
    CHECK(ctx.error().message.find("timelineSemaphore") != std::string::npos);
  }
  SUBCASE("a queue the device does not have is refused") {
    info.queues[0].index = 99;
    auto ctx = Context::borrow(info);
    REQUIRE(!ctx.ok());
    CHECK(ctx.error().code == Errc::invalid_argument);
  }
  // The host destroys what it owns, after the engine.
  vkDestroyDevice(device, nullptr);
  vkDestroyInstance(instance, nullptr);
}
