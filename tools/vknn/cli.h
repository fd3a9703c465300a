// The vknn command line: a registry of subcommands over CLI11, and strict option types.
//
// Each subcommand lives in its own file and registers itself there:
//
//   namespace {
//   Run setup(CLI::App& app) {          // add the options, bound to a config the Run owns
//     auto c = std::make_shared<Config>();
//     add_int(app, "--batch", c->batch, "images per step", 1, kMaxBatch);
//     return [c] { return run(*c); };    // called after a successful parse; returns the exit status
//   }
//   const bool registered = register_command({"bench memory", "planned memory of a model", setup});
//   }  // namespace
//
// tools/CMakeLists.txt globs vknn/*.cpp, so adding a subcommand is adding that one file. A path of
// two words ("bench matmul") makes a subcommand of the first word's command, which must exist.
#pragma once

#include "vknn/engine/context.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace vknn::tools {

// What runs a parsed subcommand: returns the process exit status.
using Run = std::function<int()>;

struct CommandInfo {
  std::string path;     // "train", or "bench matmul" for a subcommand of bench
  std::string summary;  // one line for `vknn --help`
  std::function<Run(CLI::App&)> setup;
};

// Adds a command to the registry (called from a namespace-scope initializer); returns true.
bool register_command(CommandInfo info);
// Every registered command, parents before their subcommands, alphabetical among siblings.
std::vector<CommandInfo> registered_commands();

// Builds the whole `vknn` App from the registry and runs the selected subcommand. Usage
// errors exit 2 with a message naming the option; --help and --version exit 0.
int run_cli(int argc, char** argv);

// The largest batch any subcommand accepts: far beyond any device's memory, small enough that
// every size product of a graph stays in 64 bits.
inline constexpr int64_t kMaxBatch = 1 << 20;
inline constexpr int kMaxThreads = 1024;

// Integer options are decimal only (no octal "010", no hex), must fit the target type and lie in
// [lo, hi]; anything else is refused with a message that names the option.
CLI::Option* add_int(CLI::App& app, const std::string& name, int& value, const std::string& help, int lo,
                     int hi = std::numeric_limits<int>::max());
CLI::Option* add_int(CLI::App& app, const std::string& name, int64_t& value, const std::string& help, int64_t lo,
                     int64_t hi = std::numeric_limits<int64_t>::max());
CLI::Option* add_int(CLI::App& app, const std::string& name, uint32_t& value, const std::string& help, uint32_t lo,
                     uint32_t hi = std::numeric_limits<uint32_t>::max());
CLI::Option* add_int(CLI::App& app, const std::string& name, uint64_t& value, const std::string& help, uint64_t lo,
                     uint64_t hi = std::numeric_limits<uint64_t>::max());
// A finite decimal number in [lo, hi] (open at lo when lo_open: "positive").
CLI::Option* add_real(CLI::App& app, const std::string& name, double& value, const std::string& help, double lo,
                      double hi, bool lo_open = false);
// One of `choices`.
CLI::Option* add_choice(CLI::App& app, const std::string& name, std::string& value, const std::string& help,
                        const std::vector<std::string>& choices);
// --device K: a device index or a substring of its name.
CLI::Option* add_device(CLI::App& app, std::string& value, const std::string& name = "--device",
                        const std::string& help = "Vulkan device: index or name substring (default: best, or "
                                                  "VKNN_DEVICE)");

// Checks a path argument before anything slow (a Vulkan context) is made: it must be a
// readable regular file, or a listable directory. The error names `what` (the option) and the
// path: "--weights run/: is a directory, not a file".
Status check_input_file(const std::string& what, const std::string& path);
Status check_input_dir(const std::string& what, const std::string& path);

// A device given as an index or a name substring (--device, --device2); empty: the default.
DeviceSelector device_selector(const std::string& text);
ContextOptions context_options(const std::string& device);
// Data-parallel: without --device (and VKNN_DEVICE), local rank k of a host takes its device
// k modulo the device count; ranks share a host's only device.
void pick_rank_device(int local_rank, int ranks, const std::string& device, ContextOptions& o);

}  // namespace vknn::tools
