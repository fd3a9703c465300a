// The doctest listener both GPU mains use: names the test case during which the validation
// layer printed something (the run fails at exit on any message). `Count` returns the number
// of messages so far: vknn's own counter, or the embedding tests' host messenger.
#pragma once

#include <doctest/doctest.h>

#include "main_checks.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace vknn::test {

template <uint64_t (*Count)()>
struct ValidationListener : QuietListener {
  uint64_t at_start = 0;
  std::string name;
  explicit ValidationListener(const doctest::ContextOptions&) {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    at_start = Count();
    name = tc.m_name;
  }
  void test_case_end(const doctest::CurrentTestCaseStats&) override {
    if (uint64_t n = Count(); n > at_start)
      std::fprintf(stderr, "validation: %llu message(s) during test case '%s'\n", (unsigned long long)(n - at_start),
                   name.c_str());
  }
};

}  // namespace vknn::test
