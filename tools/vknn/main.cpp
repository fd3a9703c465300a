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
      "  train --model M --data DIR [--epochs E] [--batch B] [--lr LR] [--momentum M] [--weight-decay WD]\n"
      "        [--rule paper|pytorch] [--schedule step|plateau] [--step-epochs N] [--patience N] [--seed S]\n"
      "        [--out DIR] [--resume] [--threads T] [--max-steps N] [--val-limit N] [--log-every N]\n"
      "                                   train with per-epoch validation, metrics.csv, curves.svg and\n"
      "                                   checkpoints in DIR (default vknn-run); Ctrl-C saves, --resume continues\n"
      "  eval --model M --weights FILE --data DIR [--batch B] [--limit N] [--ten-crop]\n"
      "                                   top-1/top-5 accuracy and mean loss over the test split\n"
      "  infer --model M --weights FILE [--classes FILE] [--num-classes K] IMAGE...\n"
      "                                   top-5 classes with softmax probabilities per image\n"
      "  models: lenet, lenet-wide, cifar-resnet20|32|44|56, cifar-plain20|32|44|56, resnet18|34|50, alexnet\n"
      "  data: IDX (train-/t10k-*-ubyte[.gz]), CIFAR-10 binary (data_batch_*.bin, test_batch.bin),\n"
      "        or image folders DIR/train/<class>/*.jpg|png and DIR/test|val/<class>/...\n"
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
  if (cmd == "train") return cmd_train(args);
  if (cmd == "eval") return cmd_eval(args);
  if (cmd == "infer") return cmd_infer(args);
  fmt::print(stderr, "vknn: unknown command '{}'\n\n", cmd);
  usage();
  return 2;
}
