#include "cases.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vknn::ref {

PytorchCases PytorchCases::load() {
  const char* env = std::getenv("VKNN_PYTORCH_CASES");
  REQUIRE_MESSAGE(env != nullptr, "run by tests/reference/pytorch/pytorch_cases.py, which sets VKNN_PYTORCH_CASES");
  const std::filesystem::path dir(env);
  std::ifstream manifest(dir / "cases.txt");
  REQUIRE_MESSAGE(manifest, "cannot read " << (dir / "cases.txt").string());
  PytorchCases c;
  std::string line;
  while (std::getline(manifest, line)) {
    std::istringstream words(line);
    std::string name;
    if (!(words >> name)) continue;
    PytorchArray a;
    size_t n = 1;
    for (int64_t s; words >> s;) {
      a.shape.push_back(s);
      n *= size_t(s);
    }
    a.values.resize(n);
    std::ifstream f(dir / (name + ".f64"), std::ios::binary);
    f.read(reinterpret_cast<char*>(a.values.data()), std::streamsize(n * sizeof(double)));
    REQUIRE_MESSAGE(size_t(f.gcount()) == n * sizeof(double), name << ".f64 holds fewer than " << n << " values");
    c.arrays_[name] = std::move(a);
  }
  REQUIRE_MESSAGE(!c.arrays_.empty(), (dir / "cases.txt").string() << " names no array");
  return c;
}

const PytorchArray& PytorchCases::get(const std::string& name) const {
  auto it = arrays_.find(name);
  REQUIRE_MESSAGE(it != arrays_.end(), "no PyTorch array named " << name);
  return it->second;
}

}  // namespace vknn::ref
