// Check 3 (C++): bad use is refused with a vknn::api::Error whose code() is the vknn_status
// and whose message says what was wrong. Weights files are loaded and checked too.
#include "helpers.h"

#include <limits>

using namespace apitest;
namespace api = vknn::api;

namespace {
api::ModelSpec named(const std::string& name) {
  api::ModelSpec spec;
  spec.name = name;
  spec.classes = 0;
  return spec;
}
}  // namespace

TEST_CASE("C++: borrowing is refused without timeline semaphores, with null handles and with a bad queue") {
  host::Device plain(/*timeline=*/false);
  api::HostDevice h = lend(plain);
  h.timeline_semaphore_enabled = false;
  check_throws([&] { api::Context::borrow(h); }, VKNN_ERROR_UNSUPPORTED, {"timelineSemaphore"});

  host::Device dev;
  h = lend(dev);
  h.device = VK_NULL_HANDLE;
  check_throws([&] { api::Context::borrow(h); }, VKNN_ERROR_INVALID_ARGUMENT, {"device"});
  h = lend(dev);
  h.instance = VK_NULL_HANDLE;
  check_throws([&] { api::Context::borrow(h); }, VKNN_ERROR_INVALID_ARGUMENT, {"instance"});
  h = lend(dev);
  h.queue_family = 99;
  check_throws([&] { api::Context::borrow(h); }, VKNN_ERROR_INVALID_ARGUMENT, {"queue family 99", "does not exist"});
  h = lend(dev);
  h.api_version = VK_API_VERSION_1_1;
  check_throws([&] { api::Context::borrow(h); }, VKNN_ERROR_UNSUPPORTED, {"1.2"});
  h = lend(dev);
  h.unlock_queue = nullptr;
  check_throws([&] { api::Context::borrow(h); }, VKNN_ERROR_INVALID_ARGUMENT, {"lock_queue", "unlock_queue"});
  // A family without VK_QUEUE_COMPUTE_BIT is refused with VKNN_ERROR_UNSUPPORTED; lavapipe
  // has only one family, which computes, so that refusal cannot be provoked here.
}

TEST_CASE("C++: bad model specs are refused before anything is allocated") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  check_throws([&] { api::Session::create(ctx, named("vgg16"), "", 1); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"unknown model 'vgg16'", "alexnet", "cifar-resnet20"});
  api::ModelSpec alex;
  alex.input_size = 50;
  check_throws([&] { api::Session::create(ctx, alex, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT, {"50", "67"});
  api::ModelSpec resnet = named("resnet18");
  resnet.width = 0.5f;
  check_throws([&] { api::Session::create(ctx, resnet, "", 1); }, VKNN_ERROR_UNSUPPORTED, {"resnet18", "width"});
  check_throws([&] { api::Session::create(ctx, named("lenet"), "", 0); }, VKNN_ERROR_INVALID_ARGUMENT, {"batch"});
  api::ModelSpec lenet = named("lenet");
  lenet.input_size = 32;
  check_throws([&] { api::Session::create(ctx, lenet, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT, {"28", "32"});
  check_throws([&] { api::Session::create(ctx, named("alexnet"), "", 100000); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"2^30"});
  api::Context empty;
  check_throws([&] { api::Session::create(empty, named("lenet"), "", 1); }, VKNN_ERROR_INVALID_STATE, {"empty"});
  ctx.destroy();
}

TEST_CASE("C++: weights files: loaded by name, a missing file or a wrong shape names the file") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  const std::vector<float> bias = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

  // All-zero weights but fc2.bias: the logits are fc2.bias for any image.
  const auto good = temp_path("lenet-bias.safetensors");
  write_safetensors(good, lenet_weights(bias));
  api::Session s = api::Session::create(ctx, named("lenet"), good.string(), 2);
  std::vector<float> in = inputs(s.input_count(), 9), out(s.output_count());
  s.run(in.data(), in.size(), out.data(), out.size());
  for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == bias[i % 10]);

  const auto missing = temp_path("no-such-file.safetensors");
  check_throws([&] { api::Session::create(ctx, named("lenet"), missing.string(), 1); }, VKNN_ERROR_IO,
               {missing.string()});
  const auto wrong = temp_path("lenet-wrong-shape.safetensors");
  write_safetensors(wrong, lenet_weights(bias, /*conv1_kernel=*/3));
  check_throws([&] { api::Session::create(ctx, named("lenet"), wrong.string(), 1); }, VKNN_ERROR_PARSE,
               {wrong.string(), "conv1.weight", "(6,1,3,3)", "(6,1,5,5)"});
  ctx.destroy();
}

TEST_CASE("C++: wrong sizes and bad buffers are refused, naming the expected and given counts and the shape") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::Session s = api::Session::create(ctx, named("lenet"), "", 2);
  std::vector<float> in(s.input_count()), out(s.output_count());
  check_throws([&] { s.run(in.data(), 100, out.data(), out.size()); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"100", "1568", "(2,1,28,28)"});
  check_throws([&] { s.run(in.data(), in.size(), out.data(), 19); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"19", "20", "(2,10)"});
  check_throws([&] { s.run(nullptr, in.size(), out.data(), out.size()); }, VKNN_ERROR_INVALID_ARGUMENT, {"null"});

  host::HostBuffer small = dev.buffer(64);
  VkCommandBuffer cmd = dev.begin();
  check_throws([&] { s.record(VK_NULL_HANDLE, s.input_buffer(), s.output_buffer()); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"command buffer"});
  check_throws([&] { s.record(cmd, {small.buffer, 0, 64}, s.output_buffer()); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"64 bytes", "6272", "(2,1,28,28)"});
  check_throws([&] { s.record(cmd, {}, s.output_buffer()); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"VK_NULL_HANDLE", "input_buffer()"});
  api::BufferSpan inside = s.input_buffer();
  inside.offset += 4;
  check_throws([&] { s.record(cmd, inside, s.output_buffer()); }, VKNN_ERROR_INVALID_ARGUMENT, {"engine's own buffer"});
  check_throws([&] { s.record(cmd, {small.buffer, 0, 0}, {small.buffer, 16, 0}); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"overlap"});
  dev.submit_and_wait(cmd);  // nothing was recorded into it
  dev.destroy(small);

  s.destroy();
  check_throws([&] { s.input_shape(); }, VKNN_ERROR_INVALID_STATE, {"session used after it was destroyed"});
  ctx.destroy();
}

TEST_CASE("C++: a session used after its context was destroyed") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::Session s = api::Session::create(ctx, named("lenet"), "", 1);
  ctx.destroy();
  std::vector<float> in(784), out(10);
  for (auto call : {+[](api::Session& x, float* i, float* o) { x.run(i, 784, o, 10); },
                    +[](api::Session& x, float*, float*) { (void)x.input_shape(); },
                    +[](api::Session& x, float*, float*) { (void)x.output_buffer(); }})
    check_throws([&] { call(s, in.data(), out.data()); }, VKNN_ERROR_INVALID_STATE,
                 {"session used after its context was destroyed"});
  VkCommandBuffer cmd = dev.begin();
  check_throws([&] { s.record(cmd, {}, {}); }, VKNN_ERROR_INVALID_STATE, {"session used after its context was destroyed"});
  dev.submit_and_wait(cmd);
  check_throws([&] { api::Session::create(ctx, named("lenet"), "", 1); }, VKNN_ERROR_INVALID_STATE, {"destroyed"});
  check_throws([&] { (void)ctx.device_name(); }, VKNN_ERROR_INVALID_STATE, {"destroyed"});
  s.destroy();  // fine
}

TEST_CASE("C++: weights holding NaN or Inf are refused, naming the file and the tensor") {
  // They loaded before, and NaN logits win every arg-max: eval reported 100% top-1.
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  std::vector<float> bias = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    bias[4] = bad;
    const auto path = temp_path("lenet-non-finite.safetensors");
    write_safetensors(path, lenet_weights(bias));
    check_throws([&] { api::Session::create(ctx, named("lenet"), path.string(), 1); }, VKNN_ERROR_PARSE,
                 {path.string(), "fc2.bias", "non-finite", "element 4"});
  }
  ctx.destroy();
}
