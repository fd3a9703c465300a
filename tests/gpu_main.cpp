// main() of the GPU suites. Creates one Context with the Khronos validation layer
// (synchronization validation included) and fails the run on any message it prints.
// Without a Vulkan device the suite exits 77, which CTest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "validation_listener.h"

#include "vknn/engine/context.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace vknn::test {
std::shared_ptr<Context>& gpu_holder();
}

DOCTEST_REGISTER_LISTENER("validation", 1, vknn::test::ValidationListener<&vknn::validation_message_count>);
DOCTEST_REGISTER_LISTENER("started", 2, vknn::test::StartedListener);

int main(int argc, char** argv) {
  const bool listing = vknn::test::listing_only(argc, argv);
  if (!listing) {
    vknn::ContextOptions opt;
    opt.validation = true;
    auto ctx = vknn::Context::create(opt);
    if (!ctx.ok()) {
      if (ctx.error().code == vknn::Errc::no_device) {
        std::fprintf(stderr, "skipping GPU tests: %s\n", ctx.error().what().c_str());
        return 77;
      }
      std::fprintf(stderr, "cannot create the test context: %s\n", ctx.error().what().c_str());
      return 1;
    }
    vknn::test::gpu_holder() = std::move(ctx).value();
  }
  doctest::Context dt(argc, argv);
  int rc = dt.run();
  vknn::test::gpu_holder().reset();  // destroying the device also reports leaked objects
  if (const uint64_t n = vknn::validation_message_count(); n > 0) {
    std::fprintf(stderr, "FAILED: the validation layer printed %llu message(s)\n", (unsigned long long)n);
    return 1;
  }
  return vknn::test::fail_if_nothing_ran(rc, argc, argv);
}
