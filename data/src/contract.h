// Always-on contract checks of vknn_data (programmer errors: a crop outside its image, a
// mean of the wrong length). They name the condition and abort; runtime failures (a corrupt
// file) are Results instead.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace vknn::data::detail {

[[noreturn]] inline void contract_violated(const char* what, const char* file, int line) {
  std::fprintf(stderr, "vknn::data contract violated at %s:%d: %s\n", file, line, what);
  std::abort();
}

}  // namespace vknn::data::detail

#define DATA_CHECK(cond) \
  do {                   \
    if (!(cond)) ::vknn::data::detail::contract_violated(#cond, __FILE__, __LINE__); \
  } while (0)
