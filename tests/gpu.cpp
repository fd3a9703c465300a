#include "gpu.h"

#include <cmath>
#include <cstdio>

namespace vknn::test {

std::shared_ptr<Context>& gpu_holder() {
  static std::shared_ptr<Context> ctx;
  return ctx;
}

Context& gpu() {
  auto& c = gpu_holder();
  REQUIRE_MESSAGE(c, "no GPU context (gpu_main.cpp creates it)");
  return *c;
}

Buffer device_buffer(const std::vector<float>& data) {
  auto b = Buffer::create(gpu(), std::max<size_t>(4, data.size() * 4));
  REQUIRE_MESSAGE(b.ok(), (b.ok() ? "" : b.error().what()));
  if (!data.empty()) REQUIRE_OK(gpu().upload(b->ref(), data.data(), data.size() * 4));
  return std::move(b).value();
}

Buffer device_buffer_zeros(size_t floats) { return device_buffer(std::vector<float>(floats, 0.0f)); }

std::vector<float> read_back(const BufferRef& ref, size_t floats) {
  std::vector<float> out(floats);
  REQUIRE_OK(gpu().download(ref, out.data(), floats * 4));
  return out;
}

DeviceTensor make_tensor(const Shape& shape, const std::vector<float>& data) {
  REQUIRE(int64_t(data.size()) == shape.numel());
  return {device_buffer(data), shape};
}

DeviceTensor make_tensor(const Shape& shape) { return {device_buffer_zeros(size_t(shape.numel())), shape}; }

std::vector<float> random_floats(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<double> plus(const std::vector<double>& a, const std::vector<float>& b, double scale_b) {
  std::vector<double> o(a);
  for (size_t i = 0; i < o.size(); ++i) o[i] += scale_b * b[i];
  return o;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

std::vector<float> to_float(const std::vector<double>& v) {
  std::vector<float> o(v.size());
  for (size_t i = 0; i < v.size(); ++i) o[i] = float(v[i]);
  return o;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want, Tolerance tol,
                 const std::string& what) {
  REQUIRE_MESSAGE(got.size() == want.size(), what << ": got " << got.size() << " values, expected " << want.size());
  size_t bad = 0, worst = 0;
  double worst_excess = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (double(got[i]) == want[i]) continue;  // equal, infinities included (their difference is NaN)
    const double err = std::abs(double(got[i]) - want[i]);
    const double allowed = std::max(tol.abs, tol.rel * std::abs(want[i]));
    if (!(err <= allowed)) {  // also catches NaN
      ++bad;
      const double excess = std::isnan(err) ? INFINITY : err / allowed;
      if (excess > worst_excess || bad == 1) {
        worst_excess = excess;
        worst = i;
      }
    }
  }
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " of " << got.size() << " elements out of tolerance (abs "
                                << tol.abs << ", rel " << tol.rel << "); worst at [" << worst << "]: got "
                                << (got.empty() ? 0.0 : got[worst]) << ", want " << (want.empty() ? 0.0 : want[worst]));
}

}  // namespace vknn::test
