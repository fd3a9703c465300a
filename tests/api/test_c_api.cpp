// Check 3 (C): bad use through the C API gives a vknn_status and a thread-local message,
// never an exception or a crash; check 4: the pure C11 translation unit c_smoke.c.
#include "helpers.h"

#include <climits>
#include <thread>

using namespace apitest;

extern "C" int vknn_c_smoke(const vknn_host_device* host, char* why, size_t why_size);

TEST_CASE("C11: c_smoke.c runs a session through vknn.h") {
  host::Device dev;
  const vknn_host_device h = lend_c(dev);
  char why[512] = "";
  CHECK_MESSAGE(vknn_c_smoke(&h, why, sizeof why) == 0, why);
  CHECK(dev.locks.load() > 0);  // the C hooks were called with `user`
}

TEST_CASE("C: status names") {
  CHECK(std::string(vknn_status_name(VKNN_SUCCESS)) == "VKNN_SUCCESS");
  CHECK(std::string(vknn_status_name(VKNN_ERROR_INVALID_STATE)) == "VKNN_ERROR_INVALID_STATE");
  CHECK(std::string(vknn_status_name(VKNN_ERROR_INTERNAL)) == "VKNN_ERROR_INTERNAL");
  // Any int, without making it a vknn_status first (out of the enum's range, that is
  // undefined behaviour in C++, and UBSan reports the load).
  for (int s : {1234, 10, -1, INT_MIN, INT_MAX})
    CHECK_MESSAGE(std::string(vknn_status_name(s)) == "VKNN_STATUS_UNKNOWN", s);
}

TEST_CASE("C: every destroy function accepts NULL, without a device") {
  vknn_session_destroy(nullptr);
  vknn_context_destroy(nullptr);
}

TEST_CASE("C: null pointers are refused, destroy functions accept NULL") {
  host::Device dev;
  const vknn_host_device h = lend_c(dev);
  vknn_context ctx = reinterpret_cast<vknn_context>(&dev);  // must be overwritten with NULL on failure
  check_status(vknn_context_borrow(nullptr, &ctx), VKNN_ERROR_INVALID_ARGUMENT, {"vknn_context_borrow", "host"});
  CHECK(ctx == nullptr);
  check_status(vknn_context_borrow(&h, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"out"});
  check_status(vknn_context_create(-1, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"out"});
  vknn_host_device no_device = h;
  no_device.device = VK_NULL_HANDLE;
  check_status(vknn_context_borrow(&no_device, &ctx), VKNN_ERROR_INVALID_ARGUMENT, {"device"});
  vknn_host_device bad_ext = h;
  bad_ext.enabled_device_extension_count = 2;
  check_status(vknn_context_borrow(&bad_ext, &ctx), VKNN_ERROR_INVALID_ARGUMENT, {"enabled_device_extensions"});

  REQUIRE(vknn_context_borrow(&h, &ctx) == VKNN_SUCCESS);
  vknn_model_spec spec{"lenet", 0, 0, 0.0f, 1};
  vknn_session s = nullptr;
  check_status(vknn_session_create(nullptr, &spec, nullptr, 1, &s), VKNN_ERROR_INVALID_ARGUMENT, {"context"});
  check_status(vknn_session_create(ctx, nullptr, nullptr, 1, &s), VKNN_ERROR_INVALID_ARGUMENT, {"spec"});
  vknn_model_spec unnamed{nullptr, 0, 0, 0.0f, 1};
  check_status(vknn_session_create(ctx, &unnamed, nullptr, 1, &s), VKNN_ERROR_INVALID_ARGUMENT, {"spec->name"});
  check_status(vknn_session_create(ctx, &spec, nullptr, 1, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"out"});
  REQUIRE(vknn_session_create(ctx, &spec, nullptr, 1, &s) == VKNN_SUCCESS);

  float buf[784] = {};
  int64_t dims[4];
  check_status(vknn_session_run(nullptr, buf, 784, buf, 10), VKNN_ERROR_INVALID_ARGUMENT, {"session"});
  check_status(vknn_session_run(s, nullptr, 784, buf, 10), VKNN_ERROR_INVALID_ARGUMENT, {"null"});
  check_status(vknn_session_input_shape(s, nullptr), VKNN_ERROR_INVALID_ARGUMENT, {"dims"});
  check_status(vknn_session_output_shape(nullptr, dims), VKNN_ERROR_INVALID_ARGUMENT, {"session"});
  check_status(vknn_session_record(nullptr, VK_NULL_HANDLE, VK_NULL_HANDLE, 0, VK_NULL_HANDLE, 0),
               VKNN_ERROR_INVALID_ARGUMENT, {"session"});
  check_status(vknn_session_record(s, VK_NULL_HANDLE, VK_NULL_HANDLE, 0, VK_NULL_HANDLE, 0),
               VKNN_ERROR_INVALID_ARGUMENT, {"command buffer"});
  check_status(vknn_session_input_buffer(nullptr, nullptr, nullptr, nullptr), VKNN_ERROR_INVALID_ARGUMENT,
               {"session"});
  vknn_session_destroy(s);
  vknn_session_destroy(nullptr);
  vknn_context_destroy(ctx);
  vknn_context_destroy(nullptr);
}

TEST_CASE("C: refusals carry the status and a message: timeline semaphores, sizes, names, files, lifetimes") {
  {
    host::Device plain(/*timeline=*/false);
    vknn_host_device h = lend_c(plain);
    h.timeline_semaphore_enabled = 0;
    vknn_context ctx = nullptr;
    check_status(vknn_context_borrow(&h, &ctx), VKNN_ERROR_UNSUPPORTED, {"timelineSemaphore"});
    CHECK(ctx == nullptr);
  }
  host::Device dev;
  const vknn_host_device h = lend_c(dev);
  vknn_context ctx = nullptr;
  REQUIRE(vknn_context_borrow(&h, &ctx) == VKNN_SUCCESS);
  vknn_session s = nullptr;

  vknn_model_spec unknown{"vgg16", 0, 0, 1.0f, 1};
  check_status(vknn_session_create(ctx, &unknown, nullptr, 1, &s), VKNN_ERROR_INVALID_ARGUMENT,
               {"vknn_session_create", "unknown model 'vgg16'", "lenet"});
  CHECK(s == nullptr);

  vknn_model_spec spec{"lenet", 10, 0, 1.0f, 1};
  const std::string missing = temp_path("missing.safetensors").string();
  check_status(vknn_session_create(ctx, &spec, missing.c_str(), 1, &s), VKNN_ERROR_IO, {missing});
  const std::string wrong = temp_path("c-wrong-shape.safetensors").string();
  write_safetensors(wrong, lenet_weights(std::vector<float>(10, 0.0f), 3));
  check_status(vknn_session_create(ctx, &spec, wrong.c_str(), 1, &s), VKNN_ERROR_PARSE, {wrong, "conv1.weight"});

  REQUIRE(vknn_session_create(ctx, &spec, nullptr, 2, &s) == VKNN_SUCCESS);
  std::vector<float> in(2 * 784), out(20);
  check_status(vknn_session_run(s, in.data(), 784, out.data(), out.size()), VKNN_ERROR_INVALID_ARGUMENT,
               {"784", "1568", "(2,1,28,28)"});

  // vknn_last_error is per thread: a failure elsewhere leaves this thread's message alone.
  std::thread([&] {
    vknn_model_spec other{"resnet7", 0, 0, 1.0f, 1};
    vknn_session t = nullptr;
    CHECK(vknn_session_create(ctx, &other, nullptr, 1, &t) == VKNN_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(vknn_last_error()).find("resnet7") != std::string::npos);
  }).join();
  CHECK(std::string(vknn_last_error()).find("1568") != std::string::npos);

  vknn_context_destroy(ctx);
  check_status(vknn_session_run(s, in.data(), in.size(), out.data(), out.size()), VKNN_ERROR_INVALID_STATE,
               {"session used after its context was destroyed"});
  VkCommandBuffer cmd = dev.begin();
  check_status(vknn_session_record(s, cmd, VK_NULL_HANDLE, 0, VK_NULL_HANDLE, 0), VKNN_ERROR_INVALID_STATE,
               {"session used after its context was destroyed"});
  dev.submit_and_wait(cmd);
  vknn_session_destroy(s);
}
