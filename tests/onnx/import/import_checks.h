// What the import tests share: importing a built model from its bytes, checking a refusal's
// code and message, and counting the graph's nodes of one type.
#pragma once

#include "model_builder.h"
#include "vknn/engine/result.h"
#include "vknn/graph/graph.h"
#include "vknn/onnx/import.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

namespace vknn::test {

inline Result<vknn::onnx::ImportedModel> import(const OnnxBuilder& b, vknn::onnx::ImportOptions opt = {}) {
  const auto bytes = b.bytes();
  return vknn::onnx::import_bytes(bytes, opt, "test.onnx");
}

// The import failed with `code`, and its message contains each of `parts`.
inline void check_error(const Result<vknn::onnx::ImportedModel>& r, Errc code,
                        std::initializer_list<std::string> parts) {
  REQUIRE(!r.ok());
  CHECK_MESSAGE(r.error().code == code, errc_name(r.error().code) << ": " << r.error().message);
  for (const auto& p : parts)
    CHECK_MESSAGE(r.error().message.find(p) != std::string::npos, r.error().message << "\n  (missing: " << p << ")");
}

inline int count_nodes(const Graph& g, const std::string& type) {
  int c = 0;
  for (const auto& n : g.nodes()) c += std::string(n.op->type()) == type;
  return c;
}

}  // namespace vknn::test
