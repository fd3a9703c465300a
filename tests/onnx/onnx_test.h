// Helpers of the ONNX GPU tests: where the models written by the export fixtures are, and a
// skip (exit 77) when they are absent, so that a missing PyTorch reports the test skipped.
#pragma once

#include "gpu.h"
#include "vknn/graph/executor.h"
#include "vknn/onnx/import.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace vknn::test {

// $VKNN_ONNX_TEST_DIR/<name>, or a skip of the whole test process when it was not written.
inline std::filesystem::path onnx_fixture(const std::string& name) {
  const char* dir = std::getenv("VKNN_ONNX_TEST_DIR");
  const std::filesystem::path p = dir ? std::filesystem::path(dir) / name : std::filesystem::path();
  if (!dir || !std::filesystem::exists(p / "model.onnx")) {
    std::fprintf(stderr, "skipping: %s was not written (no PyTorch?)\n", (p / "model.onnx").string().c_str());
    std::fflush(stderr);
    std::_Exit(77);
  }
  return p;
}

// ||got - want||_2 / ||want||_2 over all elements.
double normwise_error(const std::vector<float>& got, const std::vector<float>& want);

// Indices of the k largest values of row r of a (rows, cols) array, largest first.
std::vector<int> top_k(const std::vector<float>& v, int64_t cols, int64_t r, int k);

}  // namespace vknn::test
