// CPU reference of 2-D convolution (NCHW, grouped, strided, zero-padded), in double.
// See graph/include/vknn/ops/conv2d.h for the device op with the same semantics.
#pragma once

#include "case_reference.h"

namespace vknn::ref {

// x (n,c,h,w), weight (k, c/groups, r, s), bias (k), y (n,k,oh,ow).
struct Conv2dShape {
  int n, c, h, w, k, r, s, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, groups = 1;
  int oh() const { return (h + 2 * pad_h - r) / stride_h + 1; }
  int ow() const { return (w + 2 * pad_w - s) / stride_w + 1; }
  size_t x_size() const { return size_t(n) * c * h * w; }
  size_t w_size() const { return size_t(k) * (c / groups) * r * s; }
  size_t y_size() const { return size_t(n) * k * oh() * ow(); }
};

// y = conv(x, w) + b; b empty means no bias.
Vec conv2d_forward(const Conv2dShape& p, const Vec& x, const Vec& w, const Vec& b);

// One element y[in, ik, ioh, iow] of conv2d_forward (b empty: no bias), for spot checks
// of shapes too large for the full reference.
double conv2d_forward_at(const Conv2dShape& p, const Vec& x, const Vec& w, const Vec& b, int in, int ik, int ioh,
                         int iow);

// dx = d(sum y*dy)/dx for the given dy (n,k,oh,ow).
Vec conv2d_backward_data(const Conv2dShape& p, const Vec& dy, const Vec& w);

// One element dx[in, ic, ih, iw] of conv2d_backward_data.
double conv2d_backward_data_at(const Conv2dShape& p, const Vec& dy, const Vec& w, int in, int ic, int ih, int iw);

// dw (k, c/groups, r, s) and, when db is not null, db (k); both are overwritten (resized).
void conv2d_backward_weight(const Conv2dShape& p, const Vec& x, const Vec& dy, Vec& dw, Vec* db);

// One element dw[ik, ic, ir, is] (ic within the group) of conv2d_backward_weight, and db[ik].
double conv2d_backward_weight_at(const Conv2dShape& p, const Vec& x, const Vec& dy, int ik, int ic, int ir, int is);
double conv2d_backward_bias_at(const Conv2dShape& p, const Vec& dy, int ik);

// The cases of graph/cases/ops/conv2d.cpp: y (with the residual "res" and the ReLU), dx, dw,
// db with a bias "b", else "unchanged" (zeros: db must keep its contents). Where a check
// samples an output, only its sampled elements are computed (the others are NaN).
Tensors conv2d_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
