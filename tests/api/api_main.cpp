// main() of the embedding-API suite. Like tests/gpu_main.cpp, but the host makes the Vulkan
// instance itself (validation layer with synchronization validation, a counting messenger)
// and lends devices to vknn. Any validation message fails the run; without a usable
// Vulkan device the suite exits 77 (skipped).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "validation_listener.h"

#include "host.h"

#include <cstdio>
#include <cstring>
#include <string>

DOCTEST_REGISTER_LISTENER("validation", 1, vknn::test::ValidationListener<&host::validation_messages>);
DOCTEST_REGISTER_LISTENER("started", 2, vknn::test::StartedListener);

int main(int argc, char** argv) {
  const bool listing = vknn::test::listing_only(argc, argv);
  if (!listing && !host::create_instance()) {
    if (!host::instance().skip_reason.empty()) {
      std::fprintf(stderr, "skipping the embedding-API tests: %s\n", host::instance().skip_reason.c_str());
      host::destroy_instance();
      return 77;
    }
    return 1;
  }
  doctest::Context dt(argc, argv);
  int rc = dt.run();
  host::destroy_instance();
  if (const uint64_t n = host::validation_messages(); n > 0) {
    std::fprintf(stderr, "FAILED: the validation layer printed %llu message(s)\n", (unsigned long long)n);
    return 1;
  }
  return vknn::test::fail_if_nothing_ran(rc, argc, argv);
}
