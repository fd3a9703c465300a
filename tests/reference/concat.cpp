#include "concat.h"

#include "vknn/ops/concat.h"

namespace vknn::ref {

namespace {
int total(const std::vector<int>& channels) {
  int t = 0;
  for (int c : channels) t += c;
  return t;
}
}  // namespace

Vec concat_forward(int n, const std::vector<int>& channels, int inner, const std::vector<Vec>& inputs) {
  const int c_total = total(channels);
  Vec y(size_t(n) * c_total * inner);
  for (int b = 0; b < n; ++b) {
    int c0 = 0;
    for (size_t k = 0; k < channels.size(); ++k) {
      for (int c = 0; c < channels[k]; ++c)
        for (int i = 0; i < inner; ++i)
          y[(size_t(b) * c_total + c0 + c) * inner + i] = inputs[k][(size_t(b) * channels[k] + c) * inner + i];
      c0 += channels[k];
    }
  }
  return y;
}

std::vector<Vec> split_forward(int n, const std::vector<int>& channels, int inner, const Vec& x) {
  const int c_total = total(channels);
  std::vector<Vec> outs;
  int c0 = 0;
  for (int ck : channels) {
    Vec o(size_t(n) * ck * inner);
    for (int b = 0; b < n; ++b)
      for (int c = 0; c < ck; ++c)
        for (int i = 0; i < inner; ++i) o[(size_t(b) * ck + c) * inner + i] = x[(size_t(b) * c_total + c0 + c) * inner + i];
    outs.push_back(std::move(o));
    c0 += ck;
  }
  return outs;
}

Tensors concat_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& channels = std::any_cast<const std::vector<int>&>(c.params);
  const Shape& ys = c.shape("y");
  const int n = int(ys[0]), inner = int(ys[2] * ys[3]);
  std::vector<Vec> parts;
  for (size_t i = 0; i < channels.size(); ++i) parts.push_back(in.at("x" + std::to_string(i)));
  Tensors out{{"y", concat_forward(n, channels, inner, parts)}};
  const auto dx = concat_backward(n, channels, inner, in.at("dy"));
  for (size_t i = 0; i < channels.size(); ++i) {
    out["dx" + std::to_string(i)] = dx[i];
    out["x" + std::to_string(i)] = parts[i];
  }
  return out;
}

}  // namespace vknn::ref
