// What every test main() checks besides the tests themselves.
//
// CTest runs each doctest case as its own test, `--test-case=<name>`, and a filter without
// wildcards must match a case's whole name. A name that does not survive the trip (CMake cuts
// a test name at its first ';') would match nothing, run nothing and pass. So a run that was
// not only a listing fails when no test case started at all.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

namespace vknn::test {

// True when doctest is only asked to list or describe the tests (no device needed).
inline bool listing_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--list", 6) == 0 || std::strncmp(argv[i], "-l", 2) == 0 || !std::strcmp(argv[i], "-h") ||
        !std::strcmp(argv[i], "--help"))
      return true;
  return false;
}

inline int& started_test_cases() {
  static int n = 0;
  return n;
}

// A doctest listener that ignores every event; listeners override the ones they need.
struct QuietListener : doctest::IReporter {
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
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

// Counts the test cases that start (registered once per program, by its main()).
struct StartedListener : QuietListener {
  explicit StartedListener(const doctest::ContextOptions&) {}
  void test_case_start(const doctest::TestCaseData&) override { ++started_test_cases(); }
};

// The exit code of a run: `rc` from doctest, or a failure when it ran no test case.
inline int fail_if_nothing_ran(int rc, int argc, char** argv) {
  if (rc != 0 || listing_only(argc, argv) || started_test_cases() > 0) return rc;
  std::fprintf(stderr, "FAILED: no test case matched the filter (a test name with ';' is cut there by CTest)\n");
  return 1;
}

}  // namespace vknn::test
