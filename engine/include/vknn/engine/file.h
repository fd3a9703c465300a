// Reading and writing whole files. Reads never throw: a directory, a device or a missing or
// unreadable file given where a file is expected is an error that names the path.
#pragma once

#include "vknn/engine/result.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace vknn {

// The whole contents of a regular file (Errc::io otherwise: "PATH: is a directory, not a
// file", "PATH: cannot open: No such file or directory", ...).
Result<std::vector<uint8_t>> read_file_bytes(const std::filesystem::path& path);

// Writing so that a crash never leaves a half-written file: a temporary file in the same
// directory, flushed to disk, then renamed over the target.
Status write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes);

}  // namespace vknn
