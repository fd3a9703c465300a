// vknn bench --model: whole-network latency, throughput, memory and per-layer times.
#pragma once

#include "commands.h"

namespace vknn::tools {

// The JSON schema tag every `vknn bench` JSON document carries (docs/bench-json.md).
inline constexpr const char* kBenchSchema = "vknn-bench-1";

// `vknn bench --model NAME --batch N ...` (the arguments after "bench").
int bench_model(Args args);
// Usage lines of every `vknn bench` form.
const char* bench_usage();

}  // namespace vknn::tools
