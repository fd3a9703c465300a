// Writing files so that a crash never leaves a half-written one: a temporary file in the
// same directory, flushed to disk, then renamed over the target, and the directory flushed
// so that the rename itself survives a power loss.
#pragma once

#include "vknn/engine/result.h"

#include <cstdint>
#include <filesystem>
#include <span>

namespace vknn {

Status write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes);
// fsync of a directory: makes the renames and creations in it durable.
Status fsync_directory(const std::filesystem::path& dir);

}  // namespace vknn
