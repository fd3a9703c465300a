// The subcommands of the vknn CLI. Each takes its own arguments (after the subcommand
// name) and returns the process exit status.
#pragma once

#include "vknn/engine/context.h"

#include <string>
#include <vector>

namespace vknn::tools {

using Args = std::vector<std::string>;

int cmd_devices(const Args& args);
int cmd_bench(const Args& args);
int cmd_train(const Args& args);  // train.cpp
int cmd_eval(const Args& args);
int cmd_infer(const Args& args);
int bench_ops(Args args);

// "--name value" and "--name=value" parsing shared by subcommands.
bool take_flag(Args& args, const std::string& name);
bool take_option(Args& args, const std::string& name, std::string& value);
// A device given as an index or a name substring (--device, --device2).
DeviceSelector device_selector(const std::string& text);
// --device K|name, into context options.
ContextOptions context_options(Args& args);

}  // namespace vknn::tools
