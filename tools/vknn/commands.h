// The subcommands of the vknn CLI. Each takes its own arguments (after the subcommand
// name) and returns the process exit status.
#pragma once

#include <string>
#include <vector>

namespace vknn::tools {

using Args = std::vector<std::string>;

int cmd_devices(const Args& args);
int cmd_bench(const Args& args);

// "--name value" and "--name=value" parsing shared by subcommands.
bool take_flag(Args& args, const std::string& name);
bool take_option(Args& args, const std::string& name, std::string& value);

}  // namespace vknn::tools
