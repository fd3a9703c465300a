// Arrays computed by PyTorch for the "pytorch:" reference cases (written by
// tests/reference/pytorch/pytorch_cases.py into VKNN_PYTORCH_CASES: raw float64 files and a
// manifest of names and shapes).
#pragma once

#include "../fd.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vknn::ref {

struct PytorchArray {
  std::vector<int64_t> shape;
  Vec values;
};

class PytorchCases {
 public:
  // Reads the manifest and every array; fails the running test case when anything is missing.
  static PytorchCases load();
  const PytorchArray& get(const std::string& name) const;
  bool has(const std::string& name) const { return arrays_.count(name) != 0; }

 private:
  std::map<std::string, PytorchArray> arrays_;
};

}  // namespace vknn::ref
