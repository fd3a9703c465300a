// Consumer of an installed vknn through the C++ API: LeNet with random weights, batch 1.
// Exit 0 after "consumer-cpp: OK", 77 without a Vulkan device (CTest: skipped), 1 on error.
#include <vknn/vknn.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

// vknn reports "no device" as VKNN_ERROR_UNSUPPORTED, which also covers other causes, so ask
// the loader directly first.
bool have_vulkan_device() {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO, nullptr, "consumer_cpp", 0, nullptr, 0, VK_API_VERSION_1_2};
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, nullptr, 0, &app, 0, nullptr, 0, nullptr};
  VkInstance instance = VK_NULL_HANDLE;
  if (vkCreateInstance(&ci, nullptr, &instance) != VK_SUCCESS) return false;
  uint32_t n = 0;
  vkEnumeratePhysicalDevices(instance, &n, nullptr);
  vkDestroyInstance(instance, nullptr);
  return n > 0;
}

}  // namespace

int main() {
  if (!have_vulkan_device()) {
    std::fprintf(stderr, "consumer-cpp: skipped: no Vulkan device\n");
    return 77;
  }
  try {
    vknn::api::Context ctx = vknn::api::Context::create();
    vknn::api::ModelSpec spec;
    spec.name = "lenet";
    spec.classes = 0;  // the model's default (10)
    vknn::api::Session session = vknn::api::Session::create(ctx, spec, "", 1);
    const std::vector<int64_t> in = session.input_shape();    // (N,C,H,W)
    const std::vector<int64_t> out = session.output_shape();  // (N,classes)
    std::vector<float> x(session.input_count()), y(session.output_count());
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 29) / 29.0f;
    session.run(x.data(), x.size(), y.data(), y.size());
    for (size_t i = 0; i < y.size(); ++i)
      if (!std::isfinite(y[i])) {
        std::fprintf(stderr, "consumer-cpp: logit %zu is not finite\n", i);
        return 1;
      }
    std::printf("consumer-cpp: device %s\n", ctx.device_name().c_str());
    std::printf("consumer-cpp: input shape {%lld, %lld, %lld, %lld}\n", (long long)in[0], (long long)in[1],
                (long long)in[2], (long long)in[3]);
    std::printf("consumer-cpp: output shape {%lld, %lld}\n", (long long)out[0], (long long)out[1]);
    session.destroy();
    ctx.destroy();
  } catch (const vknn::api::Error& e) {
    std::fprintf(stderr, "consumer-cpp: vknn error %d: %s\n", e.code(), e.what());
    return 1;
  }
  std::printf("consumer-cpp: OK\n");
  return 0;
}
