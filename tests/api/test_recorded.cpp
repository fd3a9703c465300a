// Check 1: inference recorded into the host's command buffer computes exactly what
// Session::run computes, with host-owned buffers (two frames in one command buffer, the
// host writing the input and reading the output with its own transfer commands: the
// barrier contract is exercised by synchronization validation) and with the engine's own
// buffers (no copies).
#include "helpers.h"

#include <cstring>

using namespace apitest;
namespace api = vknn::api;

namespace {

void check_recorded_matches_run(host::Device& dev, api::Session& s) {
  const size_t in_n = s.input_count(), out_n = s.output_count();
  const VkDeviceSize in_bytes = in_n * 4, out_bytes = out_n * 4;
  const auto a = inputs(in_n, 1), b = inputs(in_n, 2);
  std::vector<float> run_a(out_n), run_b(out_n);
  s.run(a.data(), a.size(), run_a.data(), run_a.size());
  s.run(b.data(), b.size(), run_b.data(), run_b.size());  // the engine last saw b: a replay of a cannot be stale
  REQUIRE(run_a != run_b);

  host::HostBuffer staging = dev.buffer(2 * in_bytes), in = dev.buffer(2 * in_bytes), out = dev.buffer(2 * out_bytes),
                   readback = dev.buffer(2 * out_bytes);
  std::memcpy(staging.floats(), a.data(), in_bytes);
  std::memcpy(staging.floats() + in_n, b.data(), in_bytes);

  {
    INFO("host buffers, two frames in one command buffer");
    VkCommandBuffer cmd = dev.begin();
    const VkBufferCopy up{0, 0, 2 * in_bytes};
    vkCmdCopyBuffer(cmd, staging.buffer, in.buffer, 1, &up);  // made visible by record()'s leading barrier
    s.record(cmd, {in.buffer, 0, in_bytes}, {out.buffer, 0, out_bytes});
    s.record(cmd, {in.buffer, in_bytes, 0}, {out.buffer, out_bytes, out_bytes});  // ordered after frame 1 by barrier 1
    const VkBufferCopy down{0, 0, 2 * out_bytes};
    vkCmdCopyBuffer(cmd, out.buffer, readback.buffer, 1, &down);  // ordered by record()'s final barrier
    host_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                 VK_ACCESS_HOST_READ_BIT);
    dev.submit_and_wait(cmd);
    std::vector<float> got_a(readback.floats(), readback.floats() + out_n);
    std::vector<float> got_b(readback.floats() + out_n, readback.floats() + 2 * out_n);
    CHECK(max_rel_diff(got_a, run_a) <= 1e-6);
    CHECK(max_rel_diff(got_b, run_b) <= 1e-6);
  }
  {
    INFO("the engine's own buffers, no copies, two submissions");
    const api::BufferSpan ein = s.input_buffer(), eout = s.output_buffer();
    CHECK(ein.size == in_bytes);
    CHECK(eout.size == out_bytes);
    for (int frame = 0; frame < 2; ++frame) {
      VkCommandBuffer cmd = dev.begin();
      const VkBufferCopy up{VkDeviceSize(frame) * in_bytes, ein.offset, in_bytes};
      vkCmdCopyBuffer(cmd, staging.buffer, ein.buffer, 1, &up);
      s.record(cmd, ein, eout);
      const VkBufferCopy down{eout.offset, 0, out_bytes};
      vkCmdCopyBuffer(cmd, eout.buffer, readback.buffer, 1, &down);
      host_barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                   VK_ACCESS_HOST_READ_BIT);
      dev.submit_and_wait(cmd);
      std::vector<float> got(readback.floats(), readback.floats() + out_n);
      CHECK(max_rel_diff(got, frame == 0 ? run_a : run_b) <= 1e-6);
    }
  }
  {
    INFO("the host's input buffer, the engine's output");
    VkCommandBuffer cmd = dev.begin();
    const VkBufferCopy up{0, 0, in_bytes};
    vkCmdCopyBuffer(cmd, staging.buffer, in.buffer, 1, &up);
    s.record(cmd, {in.buffer, 0, 0}, s.output_buffer());
    dev.submit_and_wait(cmd);
    std::vector<float> got(out_n);
    // Session::run would overwrite the logits; read them by a host copy instead.
    VkCommandBuffer cmd2 = dev.begin();
    const VkBufferCopy down{s.output_buffer().offset, 0, out_bytes};
    vkCmdCopyBuffer(cmd2, s.output_buffer().buffer, readback.buffer, 1, &down);
    host_barrier(cmd2, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                 VK_ACCESS_HOST_READ_BIT);
    dev.submit_and_wait(cmd2);
    std::memcpy(got.data(), readback.floats(), out_bytes);
    CHECK(max_rel_diff(got, run_a) <= 1e-6);
  }
  for (auto* buf : {&staging, &in, &out, &readback}) dev.destroy(*buf);
}

}  // namespace

TEST_CASE("recorded inference equals Session::run: lenet, batch 2") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::ModelSpec spec;
  spec.name = "lenet";
  spec.classes = 10;
  api::Session s = api::Session::create(ctx, spec, "", 2);
  CHECK(s.input_shape() == std::vector<int64_t>{2, 1, 28, 28});
  CHECK(s.output_shape() == std::vector<int64_t>{2, 10});
  check_recorded_matches_run(dev, s);
  CHECK(dev.locks.load() > 0);  // vknn took the host's queue lock around its submits
  CHECK(dev.locks.load() == dev.unlocks.load());
  ctx.destroy();
}

TEST_CASE("recorded inference equals Session::run: cifar-resnet20 (batch norm), batch 2") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::ModelSpec spec;
  spec.name = "cifar-resnet20";
  spec.classes = 0;  // the model's default, 10
  api::Session s = api::Session::create(ctx, spec, "", 2);
  CHECK(s.input_shape() == std::vector<int64_t>{2, 3, 32, 32});
  CHECK(s.output_shape() == std::vector<int64_t>{2, 10});
  check_recorded_matches_run(dev, s);
  ctx.destroy();
}

TEST_CASE("recorded inference equals Session::run: alexnet at width 0.25, input 67, batch 2") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::ModelSpec spec;  // alexnet, 1000 classes
  spec.width = 0.25f;
  spec.input_size = 67;  // the smallest AlexNet takes (pool5 is 1x1)
  api::Session s = api::Session::create(ctx, spec, "", 2);
  CHECK(s.input_shape() == std::vector<int64_t>{2, 3, 67, 67});
  CHECK(s.output_shape() == std::vector<int64_t>{2, 1000});
  check_recorded_matches_run(dev, s);
  ctx.destroy();
}
