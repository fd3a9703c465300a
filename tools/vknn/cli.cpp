// The subcommand registry, the App built from it, and the strict option types.
#include "cli.h"
#include "guard.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace vknn::tools {

namespace {

std::vector<CommandInfo>& registry() {
  static std::vector<CommandInfo> commands;  // filled by namespace-scope initializers of each command's file
  return commands;
}

std::vector<std::string> words(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(path);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

template <class T>
std::string range_text(T lo, T hi) {
  return hi == std::numeric_limits<T>::max() ? fmt::format(">= {}", lo) : fmt::format("{}..{}", lo, hi);
}

// CLI11's own integer conversion reads with strtoll(…, 0): "010" is octal, "0x10" hex, an
// overflow saturates, and "-1" wraps into an unsigned. The validator runs on the text before
// that conversion: only a decimal integer of the right type and range passes, and it hands
// the conversion the number re-printed (no leading zeros left to read as octal).
template <class T>
CLI::Validator strict_integer(T lo, T hi) {
  auto check = [lo, hi](std::string& text) -> std::string {
    T v{};
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v, 10);
    const bool negative_for_unsigned =
        std::is_unsigned_v<T> && text.size() > 1 && text[0] == '-' &&
        std::all_of(text.begin() + 1, text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (ec == std::errc::result_out_of_range || negative_for_unsigned ||
        (ec == std::errc() && p == end && (v < lo || v > hi)))
      return fmt::format("{} is out of range (must be {})", text, range_text(lo, hi));
    if (text.empty() || ec != std::errc() || p != end) return fmt::format("'{}' is not a decimal integer", text);
    text = std::to_string(v);
    return {};
  };
  return CLI::Validator(check, "");
}

template <class T>
CLI::Option* add_integer(CLI::App& app, const std::string& name, T& value, const std::string& help, T lo, T hi) {
  return app.add_option(name, value, fmt::format("{} [{}]", help, range_text(lo, hi)))
      ->check(strict_integer<T>(lo, hi))
      ->type_name("INT");
}

std::string number_text(double v) { return fmt::format("{:g}", v); }

}  // namespace

bool register_command(CommandInfo info) {
  registry().push_back(std::move(info));
  return true;
}

std::vector<CommandInfo> registered_commands() {
  std::vector<CommandInfo> out = registry();
  std::stable_sort(out.begin(), out.end(), [](const CommandInfo& a, const CommandInfo& b) {
    const auto wa = words(a.path), wb = words(b.path);
    if (wa.size() != wb.size()) return wa.size() < wb.size();
    return a.path < b.path;
  });
  return out;
}

CLI::Option* add_int(CLI::App& app, const std::string& name, int& value, const std::string& help, int lo, int hi) {
  return add_integer(app, name, value, help, lo, hi);
}
CLI::Option* add_int(CLI::App& app, const std::string& name, int64_t& value, const std::string& help, int64_t lo,
                     int64_t hi) {
  return add_integer(app, name, value, help, lo, hi);
}
CLI::Option* add_int(CLI::App& app, const std::string& name, uint32_t& value, const std::string& help, uint32_t lo,
                     uint32_t hi) {
  return add_integer(app, name, value, help, lo, hi);
}
CLI::Option* add_int(CLI::App& app, const std::string& name, uint64_t& value, const std::string& help, uint64_t lo,
                     uint64_t hi) {
  return add_integer(app, name, value, help, lo, hi);
}

CLI::Option* add_real(CLI::App& app, const std::string& name, double& value, const std::string& help, double lo,
                      double hi, bool lo_open) {
  const std::string range = fmt::format("{}{}, {}]", lo_open ? "(" : "[", number_text(lo),
                                        std::isfinite(hi) ? number_text(hi) : "inf");
  auto check = [lo, hi, lo_open, range](std::string& text) -> std::string {
    double v = 0;
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);  // decimal or exponent form only: no "nan", "inf", hex
    if (text.empty() || ec != std::errc() || p != end || !std::isfinite(v))
      return fmt::format("'{}' is not a finite number", text);
    if ((lo_open ? !(v > lo) : !(v >= lo)) || !(v <= hi)) return fmt::format("{} is out of range {}", text, range);
    return {};
  };
  return app.add_option(name, value, fmt::format("{} {}", help, range))
      ->check(CLI::Validator(check, ""))
      ->type_name("NUMBER");
}

CLI::Option* add_choice(CLI::App& app, const std::string& name, std::string& value, const std::string& help,
                        const std::vector<std::string>& choices) {
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : "|") + c;
  auto check = [choices, list](std::string& text) -> std::string {
    if (std::find(choices.begin(), choices.end(), text) != choices.end()) return {};
    return fmt::format("'{}' is not one of {}", text, list);
  };
  return app.add_option(name, value, help)->check(CLI::Validator(check, ""))->type_name(list);
}

CLI::Option* add_device(CLI::App& app, std::string& value, const std::string& name, const std::string& help) {
  return app.add_option(name, value, help)->type_name("K");
}

DeviceSelector device_selector(const std::string& text) {
  DeviceSelector sel;
  uint32_t index = 0;
  const char* end = text.data() + text.size();
  if (auto [p, ec] = std::from_chars(text.data(), end, index); !text.empty() && ec == std::errc() && p == end)
    sel.index = index;
  else
    sel.name_contains = text;
  return sel;
}

ContextOptions context_options(const std::string& device) {
  ContextOptions opt;
  if (!device.empty()) opt.device = device_selector(device);
  return opt;
}

void pick_rank_device(int local_rank, int ranks, const std::string& device, ContextOptions& o) {
  if (ranks == 1 || !device.empty() || std::getenv("VKNN_DEVICE")) return;
  auto devices = enumerate_devices();
  if (!devices.ok() || devices->size() < 2) return;
  o.device.index = uint32_t(local_rank) % uint32_t(devices->size());
}

namespace {

// A parse error, reported against the command it happened in; usage errors exit 2.
int usage_error(const CLI::App& app, const CLI::ParseError& e) {
  std::string who = "vknn";
  for (const CLI::App* a = &app; !a->get_subcommands().empty();) {
    a = a->get_subcommands().front();
    who += " " + a->get_name();
  }
  fmt::print(stderr, "{}: {}\nRun '{} --help' for the options.\n", who, e.what(), who);
  return 2;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"vknn: convolutional networks on Vulkan compute (training, inference, benchmarks)", "vknn"};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", std::string("vknn ") + VKNN_VERSION_STRING);
  app.require_subcommand(0, 1);
  app.get_formatter()->column_width(36);

  std::map<const CLI::App*, Run> runs;
  for (const CommandInfo& c : registered_commands()) {
    const auto path = words(c.path);
    VKNN_CHECK(!path.empty(), "a command with an empty path");
    CLI::App* parent = &app;
    for (size_t i = 0; i + 1 < path.size(); ++i) parent = parent->get_subcommand(path[i]);  // throws if absent
    CLI::App* sub = parent->add_subcommand(path.back(), c.summary);
    runs[sub] = c.setup(*sub);
  }
  app.footer(  // after the subcommands, which would inherit it
      "Environment:\n"
      "  VKNN_DEVICE=index|name   choose the device (default: discrete > integrated > virtual > cpu)\n"
      "  VKNN_VALIDATION=1        enable the Khronos validation layer\n"
      "  VKNN_PIPELINE_CACHE_DIR  where compiled pipelines are kept (default ~/.cache/vknn, - for none)\n"
      "\n"
      "Run 'vknn COMMAND --help' for the options of a command, each with its default.");

  // `vknn help [COMMAND...]` is `vknn [COMMAND...] --help`.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "help") {
    args.erase(args.begin());
    args.push_back("--help");
  }
  if (args.empty()) {
    fmt::print(stderr, "{}", app.help());
    return 2;
  }
  const std::string first = args.front();
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments as a stack, and consumes them
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ExtrasError& e) {
    if (app.get_subcommands().empty() && first.rfind('-', 0) != 0) {  // the first word is no command
      fmt::print(stderr, "vknn: unknown command '{}'\nRun 'vknn --help' for the commands.\n", first);
      return 2;
    }
    return usage_error(app, e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e);
  }
  const CLI::App* selected = &app;
  while (!selected->get_subcommands().empty()) selected = selected->get_subcommands().front();
  auto it = runs.find(selected);
  if (it == runs.end()) {
    fmt::print(stderr, "{}", app.help());
    return 2;
  }
  std::string who;
  for (const CLI::App* a = selected; a; a = a->get_parent()) who = a->get_name() + (who.empty() ? "" : " ") + who;
  return run_guarded(who, it->second);
}

Status check_input_file(const std::string& what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return make_error(Errc::io, "{} {}: {}", what, path, errno == ENOENT ? "does not exist" : std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return make_error(Errc::io, "{} {}: is a directory, not a file", what, path);
  if (!S_ISREG(st.st_mode)) return make_error(Errc::io, "{} {}: is not a regular file", what, path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, "{} {}: cannot read: {}", what, path, std::strerror(errno));
  ::close(fd);
  return {};
}

Status check_input_dir(const std::string& what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return make_error(Errc::io, "{} {}: {}", what, path, errno == ENOENT ? "does not exist" : std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return make_error(Errc::io, "{} {}: is a file, not a directory", what, path);
  DIR* d = ::opendir(path.c_str());
  if (!d) return make_error(Errc::io, "{} {}: cannot list: {}", what, path, std::strerror(errno));
  ::closedir(d);
  return {};
}

}  // namespace vknn::tools
