// Consumer of an installed vknn through the C++ API: LeNet with random weights, batch 1, and
// two networks defined here in code (vknn/network.hpp): one without parameters, checked
// against the same arithmetic on the host, and a small conv net; and a third trained a few
// steps with the Trainer.
// Exit 0 after "consumer-cpp: OK", 77 without a Vulkan device (CTest: skipped), 1 on error.
#include <vknn/network.hpp>
#include <vknn/vknn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

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

// relu -> 2x2 max pool -> global average pool of a (2,2,6,6) batch, on the host.
std::vector<float> host_pool_net(const std::vector<float>& x) {
  std::vector<float> y;
  for (int p = 0; p < 4; ++p) {  // (n, c) planes of 6x6
    double sum = 0;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        float m = 0;  // relu first: the max of non-negative values
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b) m = std::max(m, x[size_t(p * 36 + (2 * i + a) * 6 + 2 * j + b)]);
        sum += m;
      }
    y.push_back(float(sum / 9));
  }
  return y;
}

// Networks defined in code; returns false (after a message) on a wrong result.
bool run_networks(vknn::api::Context& ctx) {
  using vknn::api::Network;
  Network pool(2, 6, 6);
  pool.output(pool.global_avgpool(pool.maxpool(pool.relu(pool.input()), {2, 2, 0})));
  vknn::api::Session s = vknn::api::Session::create(ctx, pool, "", 2);
  std::vector<float> x(s.input_count()), y(s.output_count());
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 7 % 23) - 11) / 8.0f;
  s.run(x.data(), x.size(), y.data(), y.size());
  const std::vector<float> want = host_pool_net(x);
  for (size_t i = 0; i < want.size(); ++i)
    if (std::fabs(y[i] - want[i]) > 1e-5f * std::max(1.0f, std::fabs(want[i]))) {
      std::fprintf(stderr, "consumer-cpp: network output %zu is %g, the host computes %g\n", i, y[i], want[i]);
      return false;
    }
  std::printf("consumer-cpp: network (relu, max pool, global average pool) equals the host's arithmetic\n");

  Network net(3, 16, 16);  // conv-bn-relu, a residual pair, pool, classifier
  Network::Value h = net.relu(net.batchnorm(net.conv2d(net.input(), "conv1", {8, 3, 1, 1, 1, false}), "bn1"));
  Network::Value r = net.conv2d(h, "conv2", {8, 3, 1, 1, 8, true});  // depthwise
  h = net.maxpool(net.relu(net.add(h, r)), {2, 2, 0});
  net.output(net.linear(net.global_avgpool(h), "fc", 10));
  vknn::api::Session c = vknn::api::Session::create(ctx, net, "", 1);
  std::vector<float> xi(c.input_count(), 0.5f), yi(c.output_count());
  c.run(xi.data(), xi.size(), yi.data(), yi.size());
  for (float v : yi)
    if (!std::isfinite(v)) {
      std::fprintf(stderr, "consumer-cpp: a conv network logit is not finite\n");
      return false;
    }
  const std::vector<int64_t> o = c.output_shape();
  std::printf("consumer-cpp: conv network output shape {%lld, %lld}\n", (long long)o[0], (long long)o[1]);
  return true;
}

// An IDX file as the trainer reads it: magic 0x08 0x0{dims}, big-endian sizes, bytes.
void write_idx(const std::filesystem::path& path, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  const unsigned char magic[4] = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  f.write(reinterpret_cast<const char*>(magic), 4);
  for (uint32_t d : dims) {
    const unsigned char be[4] = {static_cast<unsigned char>(d >> 24), static_cast<unsigned char>(d >> 16),
                                 static_cast<unsigned char>(d >> 8), static_cast<unsigned char>(d)};
    f.write(reinterpret_cast<const char*>(be), 4);
  }
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Trains a network defined in code on 32 images of 10 classes (a pattern per class, written
// here as IDX files): 4 epochs of one SGD step each on the same batch; the loss must fall.
bool train_network(vknn::api::Context& ctx) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("vknn-consumer-train-" + std::to_string(::getpid()));
  fs::create_directories(dir / "data");
  const uint32_t n = 32;
  std::vector<uint8_t> images(n * 28 * 28), labels(n);
  for (uint32_t i = 0; i < n; ++i) {
    labels[i] = uint8_t(i % 10);
    for (uint32_t p = 0; p < 28 * 28; ++p) images[i * 784 + p] = uint8_t((p % 28 + (p / 28) * labels[i]) % 11 * 23);
  }
  for (const char* split : {"train", "t10k"}) {
    write_idx(dir / "data" / (std::string(split) + "-images-idx3-ubyte"), {n, 28, 28}, images);
    write_idx(dir / "data" / (std::string(split) + "-labels-idx1-ubyte"), {n}, labels);
  }
  using vknn::api::Network;
  Network net(1, 28, 28);
  Network::Value h = net.maxpool(net.relu(net.batchnorm(net.conv2d(net.input(), "conv1", {8, 3, 1, 1}), "bn1")), {2, 2, 0});
  net.output(net.linear(net.flatten(net.dropout(h, 0.1f)), "fc", 10));
  vknn::api::TrainerSpec spec;
  spec.data = (dir / "data").string(), spec.out = (dir / "run").string();
  spec.epochs = 4, spec.batch = 32, spec.lr = 0.05;
  vknn::api::Trainer t = vknn::api::Trainer::create(ctx, net, spec);
  std::vector<float> losses;
  while (!t.finished()) {
    const vknn::api::TrainStep s = t.step();
    losses.push_back(s.loss);
    if (s.epoch_done) t.end_epoch();
  }
  t.destroy();
  fs::remove_all(dir);
  std::printf("consumer-cpp: trained a network in code, loss %.4f -> %.4f in %zu steps\n", losses.front(),
              losses.back(), losses.size());
  if (losses.size() != 4 || !(losses.back() < losses.front())) {
    std::fprintf(stderr, "consumer-cpp: the network's loss did not fall\n");
    return false;
  }
  return true;
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
    if (!run_networks(ctx) || !train_network(ctx)) return 1;
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
