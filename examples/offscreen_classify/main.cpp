// offscreen_classify: a host application that owns its Vulkan device, renders a frame with a
// graphics pipeline and classifies it with vknn in the same command buffer, one submission:
//
//   render pass (3 triangles) -> copy image to buffer -> compute: RGBA8 to fp32 NCHW
//   -> vknn::api::Session::record (the network's forward pass) -> one vkQueueSubmit, one wait
//
// It uses vknn only through its public API (<vknn/vknn.hpp>, target vknn::vknn) and lends its
// device with Context::borrow. --validate (or VKNN_VALIDATION=1) enables the Khronos
// validation layer with synchronization validation; any message makes the exit status 1.
// Exit status 77 means there is no usable Vulkan device (CTest reports it as skipped).
#include "frame.h"
#include "host_vulkan.h"

#include <vknn/vknn.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Options {
  std::string model = "alexnet";
  std::string weights;  // empty: random weights from the seed
  int input_size = 0;   // 0: the model's default
  int device = -1;
  bool validate = false;
  bool omit_barrier = false;  // self-check: synchronization validation must catch this
  std::string out;  // PPM of the rendered frame
};

void usage(FILE* f) {
  std::fprintf(f,
               "usage: offscreen_classify [--model NAME] [--weights FILE] [--input-size N] [--device N]\n"
               "                          [--validate] [--out FRAME.ppm]\n"
               "  --model       alexnet (default), resnet18|34|50, cifar-resnet20|..., lenet, ...\n"
               "  --weights     safetensors checkpoint (as `vknn train` writes); default: random weights\n"
               "  --input-size  square input side; default: the model's (alexnet 227)\n"
               "  --device      physical device index; default: the best device\n"
               "  --validate    Khronos validation + synchronization validation (also VKNN_VALIDATION=1)\n"
               "  --out         write the rendered frame as a binary PPM\n"
               "  --omit-barrier  self-check of --validate: leave out one barrier (a hazard that must be reported)\n");
}

// Returns false (after printing why) on a bad command line.
bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "offscreen_classify: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    } else if (a == "--validate") {
      o.validate = true;
    } else if (a == "--omit-barrier") {
      o.omit_barrier = true;
    } else if (a == "--model" || a == "--weights" || a == "--out" || a == "--input-size" || a == "--device") {
      const char* v = value(a.c_str());
      if (!v) return false;
      if (a == "--model") o.model = v;
      if (a == "--weights") o.weights = v;
      if (a == "--out") o.out = v;
      if (a == "--input-size") o.input_size = std::atoi(v);
      if (a == "--device") o.device = std::atoi(v);
    } else {
      std::fprintf(stderr, "offscreen_classify: unknown option '%s'\n", a.c_str());
      usage(stderr);
      return false;
    }
  }
  if (const char* env = std::getenv("VKNN_VALIDATION"); env && *env && std::strcmp(env, "0") != 0) o.validate = true;
  return true;
}

// The statistics vknn's own preprocessing uses for each model family
// (tools/vknn/train_common.cpp): AlexNet subtracts the ImageNet mean only (Krizhevsky et al.
// 2012, section 2); ResNets use torchvision's mean and std; the CIFAR nets the CIFAR-10
// statistics; LeNet takes luma in [0, 1].
example::Normalisation normalisation_for(const std::string& model) {
  example::Normalisation n;
  const std::array<float, 3> imagenet_mean{0.485f, 0.456f, 0.406f}, imagenet_std{0.229f, 0.224f, 0.225f};
  if (model == "alexnet") {
    n.mean = imagenet_mean;
  } else if (model.rfind("resnet", 0) == 0) {
    n.mean = imagenet_mean, n.stddev = imagenet_std;
  } else if (model.rfind("cifar-", 0) == 0) {
    n.mean = {0.4914f, 0.4822f, 0.4465f}, n.stddev = {0.2470f, 0.2435f, 0.2616f};
  }
  return n;
}

void write_ppm(const std::string& path, const uint8_t* rgba, uint32_t width, uint32_t height) {
  std::ofstream f(path, std::ios::binary);
  f << "P6\n" << width << " " << height << "\n255\n";
  for (size_t i = 0; i < size_t(width) * height; ++i) f.write(reinterpret_cast<const char*>(rgba + 4 * i), 3);
  if (!f) throw std::runtime_error(path + ": cannot write");
}

// Runs the cleanups in reverse order of registration, also when an exception unwinds.
struct Deferred {
  std::vector<std::function<void()>> fns;
  void add(std::function<void()> f) { fns.push_back(std::move(f)); }
  ~Deferred() {
    for (auto it = fns.rbegin(); it != fns.rend(); ++it) (*it)();
  }
};

void classify(const Options& o, example::Host& host) {
  using namespace vknn::api;
  const auto t_start = Clock::now();

  // Lend the device. The host states what it enabled, since Vulkan cannot report it.
  HostDevice lent;
  lent.instance = host.instance;
  lent.physical_device = host.physical_device;
  lent.device = host.device;
  lent.api_version = host.api_version;
  lent.timeline_semaphore_enabled = true;
  lent.queue_family = host.queue_family;
  lent.queue_index = 0;
  lent.lock_queue = [&host] { host.queue_mutex.lock(); };
  lent.unlock_queue = [&host] { host.queue_mutex.unlock(); };
  Context ctx = Context::borrow(lent);

  ModelSpec spec;
  spec.name = o.model;
  spec.classes = 0;  // the model's default (1000 for the ImageNet nets)
  spec.input_size = o.input_size;
  Session session = Session::create(ctx, spec, o.weights, 1);
  // Everything a cleanup names is declared before `cleanup`: locals die in reverse order of
  // declaration, so these are still alive when ~Deferred runs the cleanups (a cleanup that
  // captured a later local by reference would use it after its lifetime).
  std::optional<example::FrameRecorder> frame;
  example::HostBuffer rgba, nchw, logits;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkSemaphore timeline = VK_NULL_HANDLE;
  // vknn's objects go before the device they live on; the host waits for its own submission.
  Deferred cleanup;
  cleanup.add([&] {
    session.destroy();
    ctx.destroy();
  });
  const double create_ms = ms_since(t_start);

  const std::vector<int64_t> in_shape = session.input_shape();    // (1,C,H,W)
  const std::vector<int64_t> out_shape = session.output_shape();  // (1,classes)
  const auto channels = uint32_t(in_shape[1]), height = uint32_t(in_shape[2]), width = uint32_t(in_shape[3]);
  const auto classes = size_t(out_shape[1]);

  frame.emplace(host, width, height, channels, normalisation_for(o.model));
  cleanup.add([&] { frame.reset(); });  // its pipelines, after the wait below
  cleanup.add([&] {
    rgba.destroy(host.device);
    nchw.destroy(host.device);
    logits.destroy(host.device);
  });
  const VkMemoryPropertyFlags readable = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  rgba.create(host, frame->rgba_bytes(), VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
              readable);  // (H,W,4) bytes; host-visible for --out
  nchw.create(host, frame->nchw_bytes(), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT, 0,
              VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);  // (1,C,H,W) fp32: vknn copies from it
  logits.create(host, classes * sizeof(float), VK_BUFFER_USAGE_TRANSFER_DST_BIT, readable);  // (1,classes)

  VkCommandPoolCreateInfo cpci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  cpci.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  cpci.queueFamilyIndex = host.queue_family;  // record() needs a pool of the lent queue's family
  example::check(vkCreateCommandPool(host.device, &cpci, nullptr, &pool), "vkCreateCommandPool");
  cleanup.add([&] { vkDestroyCommandPool(host.device, pool, nullptr); });
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkCommandBufferAllocateInfo cbai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cbai.commandPool = pool;
  cbai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cbai.commandBufferCount = 1;
  example::check(vkAllocateCommandBuffers(host.device, &cbai, &cmd), "vkAllocateCommandBuffers");

  VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  VkSemaphoreCreateInfo sci{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type};
  example::check(vkCreateSemaphore(host.device, &sci, nullptr, &timeline), "vkCreateSemaphore");
  cleanup.add([&] { vkDestroySemaphore(host.device, timeline, nullptr); });
  // Runs first on the way out: nothing is destroyed while the submission may be executing.
  cleanup.add([&] { vkDeviceWaitIdle(host.device); });

  const auto t_record = Clock::now();
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  example::check(vkBeginCommandBuffer(cmd, &begin), "vkBeginCommandBuffer");
  frame->record(cmd, rgba.buffer, nchw.buffer, o.omit_barrier);
  // vknn opens with a global barrier (ALL_COMMANDS writes -> all reads), which orders the
  // compute shader's write of `nchw` before its copy; it closes with one that makes `logits`
  // visible to the host after the wait. See the barrier contract in vknn.hpp.
  session.record(cmd, BufferSpan{nchw.buffer, 0, 0}, BufferSpan{logits.buffer, 0, 0});
  example::check(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");

  const uint64_t done = 1;
  VkTimelineSemaphoreSubmitInfo tssi{VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO};
  tssi.signalSemaphoreValueCount = 1;
  tssi.pSignalSemaphoreValues = &done;
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO, &tssi};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd;
  si.signalSemaphoreCount = 1;
  si.pSignalSemaphores = &timeline;
  {
    std::lock_guard lock(host.queue_mutex);  // the queue is shared with vknn
    example::check(vkQueueSubmit(host.queue, 1, &si, VK_NULL_HANDLE), "vkQueueSubmit");
  }
  VkSemaphoreWaitInfo wi{VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO};
  wi.semaphoreCount = 1;
  wi.pSemaphores = &timeline;
  wi.pValues = &done;
  example::check(vkWaitSemaphores(host.device, &wi, UINT64_MAX), "vkWaitSemaphores");
  const double frame_ms = ms_since(t_record);

  // Top 5 of the softmax over the logits.
  const auto* y = static_cast<const float*>(logits.mapped);  // (1,classes)
  const float mx = *std::max_element(y, y + classes);
  double sum = 0;
  for (size_t k = 0; k < classes; ++k) sum += std::exp(double(y[k] - mx));
  std::vector<size_t> order(classes);
  for (size_t k = 0; k < classes; ++k) order[k] = k;
  const size_t top = std::min<size_t>(5, classes);
  std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(top), order.end(),
                    [&](size_t a, size_t b) { return y[a] > y[b] || (y[a] == y[b] && a < b); });

  std::printf("device: %s (lent to vknn with Context::borrow as %s)\n", host.device_name.c_str(),
              ctx.device_name().c_str());
  std::printf("model: %s, input %ux%ux%ux%u, %zu classes, %s\n", o.model.c_str(), 1u, channels, height, width, classes,
              o.weights.empty() ? "random weights; pass --weights FILE" : o.weights.c_str());
  std::printf("frame: %ux%u R8G8B8A8, 3 triangles (graphics pipeline) -> rgba8_to_nchw (compute) -> vknn, "
              "one command buffer, one submit\n",
              width, height);
  std::printf("top-5:\n");
  for (size_t i = 0; i < top; ++i) {
    const size_t k = order[i];
    std::printf("  %zu. class %4zu  logit %9.4f  p %6.2f%%\n", i + 1, k, double(y[k]),
                100.0 * std::exp(double(y[k] - mx)) / sum);
  }
  std::printf("time: session create %.1f ms, record + submit + wait %.1f ms\n", create_ms, frame_ms);
  if (!o.out.empty()) {
    write_ppm(o.out, static_cast<const uint8_t*>(rgba.mapped), width, height);
    std::printf("frame written to %s\n", o.out.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) return 2;
  const auto t0 = Clock::now();
  int status = 0;
  bool validation = false;
  try {
    example::Host host({o.validate, o.device});
    validation = host.validation();
    classify(o, host);
  } catch (const example::NoDevice& e) {
    std::fprintf(stderr, "offscreen_classify: skipped: %s\n", e.what());
    return 77;
  } catch (const vknn::api::Error& e) {
    std::fprintf(stderr, "offscreen_classify: vknn error %d: %s\n", e.code(), e.what());
    status = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "offscreen_classify: %s\n", e.what());
    status = 1;
  }
  // Counted up to and including vkDestroyInstance (leaked objects are reported there).
  if (validation) {
    const uint64_t n = example::Host::validation_messages();
    std::printf("validation: %llu message(s)\n", static_cast<unsigned long long>(n));
    if (n > 0) status = 1;
  }
  std::printf("total: %.1f ms\n", ms_since(t0));
  return status;
}
