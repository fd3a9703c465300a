// Pieces shared by the `vknn bench` forms.
#pragma once

namespace vknn::tools {

// The JSON schema tag every `vknn bench` JSON document carries (docs/bench-json.md).
inline constexpr const char* kBenchSchema = "vknn-bench-1";

}  // namespace vknn::tools
