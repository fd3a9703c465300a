// main() of the suites without a device: doctest's own, plus the check in main_checks.h.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "main_checks.h"

DOCTEST_REGISTER_LISTENER("started", 2, vknn::test::StartedListener);

int main(int argc, char** argv) {
  doctest::Context dt(argc, argv);
  return vknn::test::fail_if_nothing_ran(dt.run(), argc, argv);
}
