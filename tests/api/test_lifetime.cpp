// Check 2: lifetimes. The borrowed device stays valid and usable by the host after vknn is
// destroyed, and vknn leaves no object on it (the validation layer reports every object
// still alive at vkDestroyDevice; a test below proves that report is live).
#include "helpers.h"

#include <cmath>
#include <cstring>

using namespace apitest;
namespace api = vknn::api;

namespace {

// The host's own work after vknn is gone: fill a buffer on the GPU and read it back.
void host_fill_and_read(host::Device& dev) {
  host::HostBuffer b = dev.buffer(1024);
  VkCommandBuffer cmd = dev.begin();
  vkCmdFillBuffer(cmd, b.buffer, 0, 1024, 0x3f800000u);  // 1.0f
  host_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
               VK_ACCESS_HOST_READ_BIT);
  dev.submit_and_wait(cmd);
  for (int i = 0; i < 256; ++i) REQUIRE(b.floats()[i] == 1.0f);
  dev.destroy(b);
}

api::ModelSpec lenet() {
  api::ModelSpec spec;
  spec.name = "lenet";
  spec.classes = 10;
  return spec;
}

}  // namespace

TEST_CASE("the validation layer reports objects left on a device at vkDestroyDevice (the leak check is live)") {
  const uint64_t before = host::validation_messages();
  {
    host::Device dev;
    host::HostBuffer leaked = dev.buffer(64);  // never destroyed, on purpose
    (void)leaked;
    dev.destroy_now();
  }
  const uint64_t provoked = host::validation_messages() - before;
  CHECK(provoked > 0);
  host::forget_messages(provoked);
}

TEST_CASE("C++: after Context::destroy the host's device is valid and usable, and vknn left nothing on it") {
  const uint64_t before = host::validation_messages();
  {
    host::Device dev;
    api::Context ctx = api::Context::borrow(lend(dev));
    CHECK(!ctx.device_name().empty());
    CHECK(ctx.device() == dev.device);
    api::Session s = api::Session::create(ctx, lenet(), "", 1);
    std::vector<float> in = inputs(s.input_count(), 3), out(s.output_count());
    s.run(in.data(), in.size(), out.data(), out.size());
    VkCommandBuffer cmd = dev.begin();
    s.record(cmd, s.input_buffer(), s.output_buffer());
    dev.submit_and_wait(cmd);

    ctx.destroy();  // the session is still alive: its device objects go now
    CHECK(!ctx.valid());
    check_throws([&] { s.run(in.data(), in.size(), out.data(), out.size()); }, VKNN_ERROR_INVALID_STATE,
                 {"session used after its context was destroyed"});
    s.destroy();  // fine afterwards
    s = api::Session();
    ctx.destroy();  // idempotent

    host_fill_and_read(dev);
    dev.destroy_now();  // reports any object vknn left behind
  }
  CHECK(host::validation_messages() == before);
}

TEST_CASE("C: after vknn_context_destroy the host's device is valid and usable, and vknn left nothing on it") {
  const uint64_t before = host::validation_messages();
  {
    host::Device dev;
    const vknn_host_device h = lend_c(dev);
    vknn_context ctx = nullptr;
    REQUIRE(vknn_context_borrow(&h, &ctx) == VKNN_SUCCESS);
    vknn_model_spec spec{"lenet", 10, 0, 1.0f, 7};
    vknn_session s = nullptr;
    REQUIRE(vknn_session_create(ctx, &spec, nullptr, 2, &s) == VKNN_SUCCESS);
    std::vector<float> in = inputs(2 * 28 * 28, 4), out(20);
    REQUIRE(vknn_session_run(s, in.data(), in.size(), out.data(), out.size()) == VKNN_SUCCESS);
    VkBuffer ein, eout;
    VkDeviceSize ein_off, eout_off;
    REQUIRE(vknn_session_input_buffer(s, &ein, &ein_off, nullptr) == VKNN_SUCCESS);
    REQUIRE(vknn_session_output_buffer(s, &eout, &eout_off, nullptr) == VKNN_SUCCESS);
    VkCommandBuffer cmd = dev.begin();
    REQUIRE(vknn_session_record(s, cmd, ein, ein_off, eout, eout_off) == VKNN_SUCCESS);
    dev.submit_and_wait(cmd);
    CHECK(dev.locks.load() > 0);
    CHECK(dev.locks.load() == dev.unlocks.load());

    vknn_context_destroy(ctx);  // before the session, on purpose
    int64_t dims[4];
    check_status(vknn_session_input_shape(s, dims), VKNN_ERROR_INVALID_STATE,
                 {"session used after its context was destroyed"});
    vknn_session_destroy(s);

    host_fill_and_read(dev);
    dev.destroy_now();
  }
  CHECK(host::validation_messages() == before);
}

TEST_CASE("sessions keep their context alive when the Context handle goes first") {
  host::Device dev;
  api::Session s;
  {
    api::Context ctx = api::Context::borrow(lend(dev));
    s = api::Session::create(ctx, lenet(), "", 1);
  }  // no destroy(): the session still holds the context
  std::vector<float> in = inputs(s.input_count(), 5), out(s.output_count());
  s.run(in.data(), in.size(), out.data(), out.size());
  s = api::Session();  // the last handle: session and context objects go here
  host_fill_and_read(dev);
}

TEST_CASE("Context::create: vknn's own instance and device") {
  api::Context ctx = api::Context::create(-1);
  CHECK(!ctx.device_name().empty());
  api::Session s = api::Session::create(ctx, lenet(), "", 1);
  std::vector<float> in = inputs(s.input_count(), 6), out(s.output_count());
  s.run(in.data(), in.size(), out.data(), out.size());
  for (float v : out) CHECK(std::isfinite(v));
  ctx.destroy();
  check_throws([&] { api::Context::create(-2); }, VKNN_ERROR_INVALID_ARGUMENT, {"-2"});
  check_throws([&] { api::Context::create(1000); }, VKNN_ERROR_UNSUPPORTED, {"1000"});
}

TEST_CASE("synchronization validation is live, across secondary command buffers too (the hazard checks are real)") {
  host::Device dev;
  host::HostBuffer a = dev.buffer(256), b = dev.buffer(256);
  const VkBufferCopy region{0, 0, 256};

  // A write, then a read of the same range with no barrier between: read-after-write.
  uint64_t before = host::validation_messages();
  VkCommandBuffer cmd = dev.begin();
  vkCmdFillBuffer(cmd, a.buffer, 0, 256, 0u);
  vkCmdCopyBuffer(cmd, a.buffer, b.buffer, 1, &region);
  dev.submit_and_wait(cmd);
  uint64_t provoked = host::validation_messages() - before;
  CHECK(provoked > 0);
  host::forget_messages(provoked);

  // The same hazard with the read inside a secondary, as vknn's inference is.
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = dev.pool;
  ai.level = VK_COMMAND_BUFFER_LEVEL_SECONDARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer secondary;
  REQUIRE(vkAllocateCommandBuffers(dev.device, &ai, &secondary) == VK_SUCCESS);
  VkCommandBufferInheritanceInfo inherit{VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO};
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.pInheritanceInfo = &inherit;
  REQUIRE(vkBeginCommandBuffer(secondary, &bi) == VK_SUCCESS);
  vkCmdCopyBuffer(secondary, a.buffer, b.buffer, 1, &region);
  REQUIRE(vkEndCommandBuffer(secondary) == VK_SUCCESS);
  before = host::validation_messages();
  cmd = dev.begin();
  vkCmdFillBuffer(cmd, a.buffer, 0, 256, 0u);
  vkCmdExecuteCommands(cmd, 1, &secondary);
  dev.submit_and_wait(cmd);
  provoked = host::validation_messages() - before;
  CHECK(provoked > 0);
  host::forget_messages(provoked);

  vkFreeCommandBuffers(dev.device, dev.pool, 1, &secondary);
  dev.destroy(a);
  dev.destroy(b);
}
