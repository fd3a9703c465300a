// Shared helpers of the GPU test suites: one validation-enabled Context per process,
// buffers from host vectors, and comparison against references with an absolute OR
// relative tolerance (ncnn's testutil habit).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/tensor.h"

#include <doctest/doctest.h>

#include <initializer_list>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace vknn::test {

// The process-wide context (validation and synchronization validation on).
Context& gpu();

// A device buffer holding `data` (fp32), owned by the returned Buffer.
Buffer device_buffer(const std::vector<float>& data);
Buffer device_buffer_zeros(size_t floats);
std::vector<float> read_back(const BufferRef& ref, size_t floats);
inline std::vector<float> read_back(const Buffer& b, size_t floats) { return read_back(b.ref(), floats); }

// A tensor with its own buffer.
struct DeviceTensor {
  Buffer buffer;
  Shape shape;
  TensorView view() const { return {buffer.ref(0, shape.bytes()), shape}; }
  std::vector<float> read() const { return read_back(buffer, size_t(shape.numel())); }
};
DeviceTensor make_tensor(const Shape& shape, const std::vector<float>& data);
DeviceTensor make_tensor(const Shape& shape);  // zero-filled

std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);
std::vector<double> to_double(const std::vector<float>& v);
// a + scale_b * b, element by element: what an accumulating kernel should leave in a buffer
// that held `b` (the expected result of `+=`).
std::vector<double> plus(const std::vector<double>& a, const std::vector<float>& b, double scale_b = 1.0);
std::vector<float> to_float(const std::vector<double>& v);

struct Tolerance {
  double abs = 1e-5;
  double rel = 1e-4;
};

// Every element must equal want (infinities included) or satisfy |got - want| <= abs OR
// |got - want| <= rel * |want|.
// On failure, reports the worst element, its index and the error counts.
void check_close(const std::vector<float>& got, const std::vector<double>& want, Tolerance tol, const std::string& what);

// An op's refusal of bad input: Errc::invalid_argument, with a message that names the op
// and each of `parts` (shapes, parameter values).
template <class S>
inline void check_refused(const S& s, const std::string& op, std::initializer_list<std::string> parts) {
  REQUIRE(!s.ok());
  CHECK(s.error().code == Errc::invalid_argument);
  const std::string& m = s.error().message;
  CHECK_MESSAGE(m.find(op) != std::string::npos, m);
  for (const auto& part : parts) CHECK_MESSAGE(m.find(part) != std::string::npos, m << " (missing " << part << ")");
}

// Records with `record` into a fresh command list, runs it and waits.
template <class F>
void run_recorded(F&& record) {
  auto cl = CommandList::create(gpu());
  REQUIRE(cl.ok());
  REQUIRE(cl->begin().ok());
  record(*cl);
  auto s = cl->end();
  if (!s.ok()) FAIL(s.error().what());
  auto r = cl->run();
  if (!r.ok()) FAIL(r.error().what());
}

#define REQUIRE_OK(expr)                                          \
  do {                                                            \
    const auto& vknn_req_ = (expr);                                   \
    if (!vknn_req_.ok()) FAIL(#expr << ": " << vknn_req_.error().what()); \
  } while (0)

}  // namespace vknn::test
