// vknn: the command-line tool. It only composes the library's layers.
#include "commands.h"

#include <fmt/format.h>

#include <cstring>

namespace vknn::tools {

bool take_flag(Args& args, const std::string& name) {
  for (auto it = args.begin(); it != args.end(); ++it)
    if (*it == name) {
      args.erase(it);
      return true;
    }
  return false;
}

bool take_option(Args& args, const std::string& name, std::string& value) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name && it + 1 != args.end()) {
      value = *(it + 1);
      args.erase(it, it + 2);
      return true;
    }
    if (it->rfind(name + "=", 0) == 0) {
      value = it->substr(name.size() + 1);
      args.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace vknn::tools

namespace {

void usage() {
  fmt::print(
      "usage: vknn <command> [options]\n"
      "\n"
      "commands:\n"
      "  devices [--json]                 list Vulkan devices and their capabilities\n"
      "  bench matmul [--size N] [--iters N] [--warmup N] [--device K] [--json]\n"
      "                                   time a matrix multiply (GFLOP/s)\n"
      "\n"
      "environment:\n"
      "  VKNN_DEVICE=index|name           choose the device (default: discrete > integrated > virtual > cpu)\n"
      "  VKNN_VALIDATION=1                enable the Khronos validation layer\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vknn::tools;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  Args args(argv + 2, argv + argc);
  if (cmd == "devices") return cmd_devices(args);
  if (cmd == "bench") return cmd_bench(args);
  fmt::print(stderr, "vknn: unknown command '{}'\n\n", cmd);
  usage();
  return 2;
}
