/* Checks for the pure C test programs (c_smoke.c, c_network.c): each function takes
 * `char* why, size_t why_size` and ends with a `done:` label that releases what it made.
 * C_CHECK writes the message into `why` and jumps there; C_CALL checks a vknn call, naming
 * it, its status and the library's last error (it needs a `vknn_status st` in scope). */
#ifndef VKNN_TESTS_API_C_CHECK_H
#define VKNN_TESTS_API_C_CHECK_H

#include "vknn/vknn.h"

#include <stdio.h>

#define C_CHECK(cond, ...)                  \
  do {                                      \
    if (!(cond)) {                          \
      snprintf(why, why_size, __VA_ARGS__); \
      goto done;                            \
    }                                       \
  } while (0)
#define C_CALL(call) \
  C_CHECK((st = (call)) == VKNN_SUCCESS, "%s: %s: %s", #call, vknn_status_name(st), vknn_last_error())

#endif
