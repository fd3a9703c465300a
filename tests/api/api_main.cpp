// main() of the embedding-API suite. Like tests/gpu_main.cpp, but the host makes the Vulkan
// instance itself (validation layer with synchronization validation, a counting messenger)
// and lends devices to vknn. Any validation message fails the run; without a usable
// Vulkan device the suite exits 77 (skipped).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "host.h"

#include <cstdio>
#include <cstring>
#include <string>

namespace {

struct ValidationListener : doctest::IReporter {
  uint64_t at_start = 0;
  std::string name;
  explicit ValidationListener(const doctest::ContextOptions&) {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    at_start = host::validation_messages();
    name = tc.m_name;
  }
  void test_case_end(const doctest::CurrentTestCaseStats&) override {
    if (uint64_t n = host::validation_messages(); n > at_start)
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
  return rc;
}
