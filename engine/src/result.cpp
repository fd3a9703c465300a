#include "vknn/engine/result.h"

namespace vknn {

const char* errc_name(Errc c) {
  switch (c) {
    case Errc::vulkan: return "vulkan";
    case Errc::device_lost: return "device_lost";
    case Errc::out_of_memory: return "out_of_memory";
    case Errc::no_device: return "no_device";
    case Errc::unsupported: return "unsupported";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::io: return "io";
    case Errc::parse: return "parse";
    case Errc::timeout: return "timeout";
  }
  return "unknown";
}

const char* vk_result_name(VkResult r) {
  switch (r) {
#define VKNN_CASE(x) case x: return #x;
    VKNN_CASE(VK_SUCCESS)
    VKNN_CASE(VK_NOT_READY)
    VKNN_CASE(VK_TIMEOUT)
    VKNN_CASE(VK_EVENT_SET)
    VKNN_CASE(VK_EVENT_RESET)
    VKNN_CASE(VK_INCOMPLETE)
    VKNN_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    VKNN_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    VKNN_CASE(VK_ERROR_INITIALIZATION_FAILED)
    VKNN_CASE(VK_ERROR_DEVICE_LOST)
    VKNN_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    VKNN_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    VKNN_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    VKNN_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    VKNN_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    VKNN_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    VKNN_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    VKNN_CASE(VK_ERROR_FRAGMENTED_POOL)
    VKNN_CASE(VK_ERROR_UNKNOWN)
    VKNN_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    VKNN_CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    VKNN_CASE(VK_ERROR_FRAGMENTATION)
    VKNN_CASE(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    VKNN_CASE(VK_PIPELINE_COMPILE_REQUIRED)
#undef VKNN_CASE
    default: return "VK_RESULT_UNKNOWN";
  }
}

std::string Error::what() const {
  if (vk != VK_SUCCESS) return fmt::format("{} [{}, {}]", message, errc_name(code), vk_result_name(vk));
  return fmt::format("{} [{}]", message, errc_name(code));
}

Error vk_error(VkResult r, std::string_view call, std::string_view context) {
  // Name the Vulkan function, not the whole argument list the macro stringified.
  std::string_view fn = call.substr(0, call.find('('));
  Errc code = Errc::vulkan;
  if (r == VK_ERROR_DEVICE_LOST) code = Errc::device_lost;
  if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY) code = Errc::out_of_memory;
  std::string msg = fmt::format("{} failed: {}", fn, vk_result_name(r));
  if (!context.empty()) msg += fmt::format(" ({})", context);
  return Error{code, r, std::move(msg)};
}

void check_failed(const char* file, int line, const char* expr, const std::string& msg) {
  std::fprintf(stderr, "vknn: check failed at %s:%d: %s: %s\n", file, line, expr, msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace vknn
