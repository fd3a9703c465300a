#include "state.h"

#include <fmt/format.h>

namespace vknn::api {

Error::Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
int Error::code() const { return code_; }

vknn_status status_of(Errc code) {
  switch (code) {
    case Errc::vulkan: return VKNN_ERROR_VULKAN;
    case Errc::device_lost: return VKNN_ERROR_DEVICE_LOST;
    case Errc::out_of_memory: return VKNN_ERROR_OUT_OF_MEMORY;
    case Errc::no_device: return VKNN_ERROR_UNSUPPORTED;  // no device, or none matching the index
    case Errc::unsupported: return VKNN_ERROR_UNSUPPORTED;
    case Errc::invalid_argument: return VKNN_ERROR_INVALID_ARGUMENT;
    case Errc::io: return VKNN_ERROR_IO;
    case Errc::parse: return VKNN_ERROR_PARSE;
    case Errc::timeout: return VKNN_ERROR_VULKAN;  // vknn waits without a time limit; a timeout is the driver's
  }
  return VKNN_ERROR_INTERNAL;
}

void raise(const vknn::Error& e) {
  std::string what = e.message;
  if (e.vk != VK_SUCCESS) what += fmt::format(" ({})", vk_result_name(e.vk));
  throw Error(status_of(e.code), what);
}

void raise(vknn_status code, const std::string& message) { throw Error(code, message); }

}  // namespace vknn::api
