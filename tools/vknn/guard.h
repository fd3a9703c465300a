// The CLI's last line of defence against exceptions.
//
// The library reports failures as values (Result/Status), so an exception that reaches a
// command is a bug or the system failing (out of memory). It must still end the process
// with a message and a plain error status, never std::terminate's abort (exit 134).
#pragma once

#include <cstdio>
#include <functional>
#include <string>

namespace vknn::tools {

// Runs `body` and returns its status; an exception escaping it is printed to `err` as
// "WHO: error: ..." (what it was, and the path a filesystem error names) and gives 1.
int run_guarded(const std::string& who, const std::function<int()>& body, std::FILE* err = stderr) noexcept;

}  // namespace vknn::tools
