// The autotuner's memory: kernel choices timed on a device, per (op, shape), kept on disk so
// that a shape is timed once per device and driver. DeviceProfile::tuned holds the table of a
// Context (profile.h); the ops that have variants ask it, and time their candidates when it has
// no answer (e.g. record_conv2d_forward).
//
// The file, `tune-<device UUID>.json` in the cache folder of the pipeline cache, is untrusted
// input: one that does not parse, has the wrong shape, or names another device UUID or driver
// version is ignored with a warning (and replaced at the next save), never fatal. Saves are
// atomic (a temporary file renamed over the old one).
#pragma once

#include "vknn/engine/result.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vknn {

struct DeviceCaps;

// The device and driver a table belongs to.
struct TuneIdentity {
  std::string device_uuid;  // hex of VkPhysicalDeviceIDProperties::deviceUUID
  uint32_t driver_version = 0;
  std::string device_name;  // informative only
  static TuneIdentity of(const DeviceCaps& caps);
};

class TuneTable {
 public:
  // A table kept in `path` (empty: in memory only), loaded from it when the file is there and
  // belongs to `id`; each reason a file was ignored is appended to `warnings`.
  static std::shared_ptr<TuneTable> open(std::filesystem::path path, TuneIdentity id,
                                         std::vector<std::string>* warnings = nullptr);

  // The choice stored for a key, if any.
  std::optional<std::string> find(const std::string& key) const;
  // Stores a choice and saves the table (a failed save is returned; the choice stays in memory).
  Status set(const std::string& key, std::string choice);
  size_t size() const;
  const std::filesystem::path& path() const { return path_; }

  // The file format: parse() refuses (with the reason) text that is not a table of `id`.
  static Result<std::map<std::string, std::string>> parse(std::string_view text, const TuneIdentity& id);
  static std::string serialize(const std::map<std::string, std::string>& choices, const TuneIdentity& id);

 private:
  TuneTable() = default;
  std::filesystem::path path_;
  TuneIdentity id_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> choices_;
};

// Where the autotuner's file for a device lives: `dir` (a Context's pipeline cache folder
// option; empty: VKNN_PIPELINE_CACHE_DIR, $XDG_CACHE_HOME/vknn, $HOME/.cache/vknn; "-": nowhere,
// an empty path).
std::filesystem::path tune_file_path(const std::string& dir, const DeviceCaps& caps);

}  // namespace vknn
