// main() of the GPU suites. Creates one Context with the Khronos validation layer
// (synchronization validation included) and fails the run on any message it prints.
// Without a Vulkan device the suite exits 77, which CTest reports as skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "vknn/engine/context.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace vknn::test {
std::shared_ptr<Context>& gpu_holder();
}

namespace {

// Names the test case in which validation messages appeared.
struct ValidationListener : doctest::IReporter {
  uint64_t at_start = 0;
  std::string name;
  explicit ValidationListener(const doctest::ContextOptions&) {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    at_start = vknn::validation_message_count();
    name = tc.m_name;
  }
  void test_case_end(const doctest::CurrentTestCaseStats&) override {
    if (uint64_t n = vknn::validation_message_count(); n > at_start)
      std::fprintf(stderr, "validation: %llu message(s) during test case '%s'\n", (unsigned long long)(n - at_start),
                   name.c_str());
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
};
DOCTEST_REGISTER_LISTENER("validation", 1, ValidationListener);

}  // namespace

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--list", 6) == 0 || std::strncmp(argv[i], "-l", 2) == 0 || !std::strcmp(argv[i], "-h") ||
        !std::strcmp(argv[i], "--help"))
      listing = true;
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
  return rc;
}
