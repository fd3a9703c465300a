// Errors are values: every runtime failure (a VkResult, a missing feature, out of
// memory, device lost, a bad file) comes back as an Error with a code, the VkResult
// and a readable message naming what failed. Programmer errors go through VKNN_CHECK.
#pragma once

#include <vulkan/vulkan.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace vknn {

enum class Errc {
  vulkan,            // a Vulkan call failed; Error::vk says how
  device_lost,       // VK_ERROR_DEVICE_LOST: the device is gone, the context is unusable
  out_of_memory,     // host or device memory exhausted
  no_device,         // no Vulkan device (or none matching the requested override)
  unsupported,       // a feature or extension the operation needs is missing
  invalid_argument,  // bad shapes, sizes or options from the caller
  io,                // a file could not be read or written
  parse,             // a file's contents are malformed
  timeout,           // a wait did not complete in time
};

const char* errc_name(Errc c);
const char* vk_result_name(VkResult r);

struct Error {
  Errc code = Errc::vulkan;
  VkResult vk = VK_SUCCESS;
  std::string message;

  // "vkCreateDevice failed: VK_ERROR_OUT_OF_HOST_MEMORY (...)"-style readable text.
  std::string what() const;
};

// Builds an Error from a failed Vulkan call; maps DEVICE_LOST and OOM codes.
Error vk_error(VkResult r, std::string_view call, std::string_view context = {});

template <class... Args>
Error make_error(Errc code, fmt::format_string<Args...> f, Args&&... args) {
  return Error{code, VK_SUCCESS, fmt::format(f, std::forward<Args>(args)...)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return checked(); }
  T&& value() && { return std::move(checked()); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T* operator->() { return &checked(); }
  T& operator*() { return checked(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  T& checked() {
    if (!ok()) {
      std::fprintf(stderr, "vknn: value() on an error Result: %s\n", error().what().c_str());
      std::abort();
    }
    return std::get<0>(v_);
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), failed_(true) {}
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool failed_ = false;
};

using Status = Result<void>;

// Always-on contract check for programmer errors (never compiled out).
[[noreturn]] void check_failed(const char* file, int line, const char* expr, const std::string& msg);

}  // namespace vknn

#define VKNN_CHECK(cond, ...)                                                     \
  do {                                                                            \
    if (!(cond)) ::vknn::check_failed(__FILE__, __LINE__, #cond, fmt::format(__VA_ARGS__)); \
  } while (0)

// Propagate an error Result/Status from the current function.
#define VKNN_TRY(expr)                            \
  do {                                            \
    auto vknn_try_r_ = (expr);                    \
    if (!vknn_try_r_.ok()) return vknn_try_r_.error(); \
  } while (0)

#define VKNN_CONCAT_INNER_(a, b) a##b
#define VKNN_CONCAT_(a, b) VKNN_CONCAT_INNER_(a, b)
// VKNN_ASSIGN(auto x, make_thing()); assigns the value or returns the error.
#define VKNN_ASSIGN(decl, expr) VKNN_ASSIGN_IMPL_(VKNN_CONCAT_(vknn_r_, __LINE__), decl, expr)
#define VKNN_ASSIGN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                       \
  if (!tmp.ok()) return tmp.error();       \
  decl = std::move(tmp).value()

// Checks a VkResult-returning call; returns an Error naming the call on failure.
#define VKNN_VK(call)                                              \
  do {                                                             \
    VkResult vknn_vk_r_ = (call);                                  \
    if (vknn_vk_r_ != VK_SUCCESS) return ::vknn::vk_error(vknn_vk_r_, #call); \
  } while (0)
