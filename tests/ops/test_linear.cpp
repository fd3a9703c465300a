// Linear on the device against the double-precision reference: forward (bias, no bias, fused
// ReLU), backward data/weight/bias (overwriting and accumulating), odd and real shapes
// (AlexNet fc6/fc7/fc8, ResNet fc, CIFAR), the sum-over-rows reduction, and refused inputs.
#include "gpu.h"
#include "reference/linear.h"

#include "vknn/ops/linear.h"

#include <algorithm>
#include <cmath>

using namespace vknn;
using namespace vknn::test;

namespace {

// Fast deterministic values in [-bound, bound] for large tensors (mt19937 is slow at 37.7M).
std::vector<float> hashed_floats(size_t n, uint32_t seed, float bound) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;  // xorshift32
    v[i] = (float(s >> 8) * 0x1.0p-24f * 2.0f - 1.0f) * bound;
  }
  return v;
}

// Rows of (rows, cols) kept for comparison: all, or a sample for huge tensors (the first and
// last rows, and rows around every multiple of 64 that could be a slice boundary).
std::vector<int> sample_rows(int rows, bool all) {
  std::vector<int> r;
  for (int i = 0; i < rows; ++i)
    if (all || i < 3 || i >= rows - 3 || (i % 512 < 2) || (i % 512 == 511) || i % 1024 == 960) r.push_back(i);
  return r;
}

std::vector<float> gather_rows(const std::vector<float>& v, int cols, const std::vector<int>& rows) {
  std::vector<float> o;
  o.reserve(rows.size() * size_t(cols));
  for (int r : rows) o.insert(o.end(), v.begin() + size_t(r) * cols, v.begin() + size_t(r + 1) * cols);
  return o;
}

// Runs forward and all backwards for x (n,in), w (out,in), comparing with the reference. For
// huge weights dW is compared on sampled rows. Outputs start as garbage (or as the
// accumulation base), so an unwritten element shows up.
void check_linear(int n, int in, int out, bool bias, bool relu, uint32_t seed, Tolerance tol = {}) {
  CAPTURE(n);
  CAPTURE(in);
  CAPTURE(out);
  CAPTURE(bias);
  CAPTURE(relu);
  const float bound = 1.0f / std::sqrt(float(in));  // PyTorch's init: outputs of order 1
  const auto x = hashed_floats(size_t(n) * in, seed, 1.0f);
  const auto w = hashed_floats(size_t(out) * in, seed + 1, bound);
  const auto b = hashed_floats(size_t(out), seed + 2, bound);
  const auto dy = hashed_floats(size_t(n) * out, seed + 3, 1.0f);
  const auto y0 = hashed_floats(size_t(n) * out, seed + 4, 1.0f);
  const auto dx0 = hashed_floats(size_t(n) * in, seed + 5, 1.0f);
  const auto db0 = hashed_floats(size_t(out), seed + 6, 1.0f);
  const bool all_rows = uint64_t(out) * in <= (1u << 20);
  const auto rows = sample_rows(out, all_rows);
  const auto dw0_full = hashed_floats(size_t(out) * in, seed + 7, 1.0f);

  // Reference. Forward, dx and db are cheap enough in full; dW on the sampled rows.
  const auto xd = to_double(x), wd = to_double(w), dyd = to_double(dy);
  const auto y_want = ref::linear_forward(n, in, out, xd, wd, bias ? to_double(b) : ref::Vec{}, relu);
  // With relu fused, the backward takes the gradient after the ReLU's (applied here by hand).
  const auto dx_want = ref::linear_backward_data(n, in, out, dyd, wd);
  const auto db_want = ref::linear_backward_bias(n, out, dyd);
  std::vector<double> dw_want, dw_acc_want;
  for (int o : rows)
    for (int i = 0; i < in; ++i) {
      double s = 0;
      for (int r = 0; r < n; ++r) s += dyd[size_t(r) * out + o] * xd[size_t(r) * in + i];
      dw_want.push_back(s);
      dw_acc_want.push_back(s + dw0_full[size_t(o) * in + i]);
    }
  std::vector<double> dx_acc_want(dx_want), db_acc_want(db_want);
  for (size_t i = 0; i < dx_acc_want.size(); ++i) dx_acc_want[i] += dx0[i];
  for (size_t i = 0; i < db_acc_want.size(); ++i) db_acc_want[i] += db0[i];

  auto tx = make_tensor({n, in}, x), tw = make_tensor({out, in}, w), tb = make_tensor({out}, b);
  auto ty = make_tensor({n, out}, y0), tdy = make_tensor({n, out}, dy);
  auto tdx = make_tensor({n, in}, dx0), tdx_acc = make_tensor({n, in}, dx0);
  auto tdw = make_tensor({out, in}, dw0_full);
  auto tdb = make_tensor({out}, db0), tdb_acc = make_tensor({out}, db0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_linear_forward(cl, LinearParams{relu}, tx.view(), tw.view(), bias ? tb.view() : TensorView{},
                                     ty.view()));
    REQUIRE_OK(record_linear_backward_data(cl, tdy.view(), tw.view(), tdx.view(), false));
    REQUIRE_OK(record_linear_backward_data(cl, tdy.view(), tw.view(), tdx_acc.view(), true));
    REQUIRE_OK(record_linear_backward_bias(cl, tdy.view(), tdb.view(), false));
    REQUIRE_OK(record_linear_backward_bias(cl, tdy.view(), tdb_acc.view(), true));
  });
  check_close(ty.read(), y_want, tol, "linear y");
  check_close(tdx.read(), dx_want, tol, "linear dx");
  check_close(tdx_acc.read(), dx_acc_want, tol, "linear dx (accumulate)");
  check_close(tdb.read(), db_want, tol, "linear db");
  check_close(tdb_acc.read(), db_acc_want, tol, "linear db (accumulate)");

  // dW, accumulating into dw0 first, then overwriting (the overwrite must ignore dw0).
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_linear_backward_weight(cl, tdy.view(), tx.view(), tdw.view(), true)); });
  check_close(gather_rows(tdw.read(), in, rows), dw_acc_want, tol, "linear dW (accumulate)");
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_linear_backward_weight(cl, tdy.view(), tx.view(), tdw.view(), false)); });
  check_close(gather_rows(tdw.read(), in, rows), dw_want, tol, "linear dW");
}

// The forward alone at batch n, and whether it took the matrix-vector kernel (where the
// device profile allows it: batch <= 8, IN even).
void check_forward(int n, int in, int out, bool bias, bool relu, uint32_t seed) {
  CAPTURE(n);
  CAPTURE(in);
  CAPTURE(out);
  const float bound = 1.0f / std::sqrt(float(in));
  const auto x = hashed_floats(size_t(n) * in, seed, 1.0f);
  const auto w = hashed_floats(size_t(out) * in, seed + 1, bound);
  const auto b = hashed_floats(size_t(out), seed + 2, bound);
  const auto y_want =
      ref::linear_forward(n, in, out, to_double(x), to_double(w), bias ? to_double(b) : ref::Vec{}, relu);
  auto tx = make_tensor({n, in}, x), tw = make_tensor({out, in}, w), tb = make_tensor({out}, b);
  auto ty = make_tensor({n, out}, hashed_floats(size_t(n) * out, seed + 3, 1.0f));  // garbage: unwritten shows
  const DeviceProfile& prof = gpu().profile();
  const LinearGemv want = !prof.linear_gemv || n > kGemvMaxBatch ? LinearGemv::none
                          : prof.linear_gemv_wide && in % 2 == 0 ? LinearGemv::wide
                                                                 : LinearGemv::narrow;
  CHECK(linear_forward_gemv(prof, tx.view(), tw.view()) == want);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_linear_forward(cl, LinearParams{relu}, tx.view(), tw.view(), bias ? tb.view() : TensorView{},
                                     ty.view()));
  });
  check_close(ty.read(), y_want, {}, "linear y");
}

}  // namespace

TEST_CASE("linear: forward at batch 1..8 (the matrix-vector kernel where the device has it) at odd shapes") {
  for (int n = 1; n <= 9; ++n) {
    check_forward(n, 2, 1, true, false, 100 + n);
    check_forward(n, 130, 67, true, true, 110 + n);   // outputs not a multiple of the 8 per workgroup
    check_forward(n, 642, 9, false, false, 120 + n);  // IN/2 odd and past 64 lanes x 5 steps
    check_forward(n, 131, 10, true, false, 130 + n);  // IN odd: 32-bit loads
  }
}

TEST_CASE("linear: forward at batch 1..8 at AlexNet fc6 9216->4096 (sliced weight), fc7 and fc8") {
  for (int n = 1; n <= 8; ++n) {
    check_forward(n, 9216, 4096, true, true, 140 + n);
    check_forward(n, 4096, 4096, true, true, 150 + n);
    check_forward(n, 4096, 1000, true, false, 160 + n);
  }
}

TEST_CASE("linear: tiny and odd shapes match the reference") {
  check_linear(1, 1, 1, true, false, 1);
  check_linear(1, 1, 1, false, true, 2);
  check_linear(1, 3, 5, true, true, 3);
  check_linear(3, 7, 2, false, false, 4);
  check_linear(5, 65, 67, true, false, 5);   // not multiples of the 64x64 tile
  check_linear(2, 129, 130, true, true, 6);
  check_linear(17, 33, 1, true, false, 7);
}

TEST_CASE("linear: CIFAR and ResNet classifier shapes (64->10, 512->1000, 2048->1000)") {
  check_linear(1, 64, 10, true, false, 11);
  check_linear(128, 64, 10, true, false, 12);
  check_linear(1, 512, 1000, true, false, 13);
  check_linear(2, 512, 1000, true, false, 14);
  check_linear(1, 2048, 1000, true, false, 15);
  check_linear(2, 2048, 1000, true, false, 16);
}

TEST_CASE("linear: AlexNet fc8 4096->1000 and fc7 4096->4096 (batch 1 and 2)") {
  check_linear(1, 4096, 1000, true, false, 21);
  check_linear(2, 4096, 1000, true, false, 22);
  check_linear(1, 4096, 4096, true, true, 23);
  check_linear(2, 4096, 4096, true, true, 24);
}

TEST_CASE("linear: AlexNet fc6 9216->4096, a weight larger than one binding (batch 1)") {
  check_linear(1, 9216, 4096, true, true, 31);
}

TEST_CASE("linear: AlexNet fc6 9216->4096, a weight larger than one binding (batch 2)") {
  check_linear(2, 9216, 4096, true, true, 32);
}

TEST_CASE("linear: sum over rows and per channel") {
  for (const auto& rc : {std::pair{1, 1}, {3, 5}, {128, 4096}, {7, 1000}}) {
    const int r = rc.first, c = rc.second;  // lambdas capture these: no structured binding before clang 16
    CAPTURE(r);
    CAPTURE(c);
    const auto x = random_floats(size_t(r) * c, uint32_t(r + c));
    const auto want = ref::channel_sum(r, c, 1, to_double(x));
    auto tx = make_tensor({r, c}, x), t = make_tensor({c}, random_floats(size_t(c), 3));
    run_recorded([&](CommandList& cl) { REQUIRE_OK(record_sum_rows(cl, tx.view(), t.view(), false)); });
    check_close(t.read(), want, {}, "sum_rows");
  }
  // (N,C,H,W) -> (C): a convolution's bias gradient. 2*27*27 = 1458 terms per channel, in
  // float: a looser absolute tolerance (terms of size 1, error ~ sqrt(terms) * 2^-24 * sum).
  const auto x = random_floats(2 * 96 * 27 * 27, 9);
  const auto want = ref::channel_sum(2, 96, 27 * 27, to_double(x));
  auto tx = make_tensor({2, 96, 27, 27}, x), t = make_tensor({96}, std::vector<float>(96, 1.0f));
  std::vector<double> acc(want);
  for (auto& v : acc) v += 1.0;
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_channel_sum(cl, tx.view(), t.view(), true)); });
  check_close(t.read(), acc, {1e-4, 1e-4}, "channel_sum (accumulate)");
}

TEST_CASE("linear: refused inputs name the op and the shapes") {
  auto x = make_tensor({2, 3}), w = make_tensor({4, 3}), b = make_tensor({4}), y = make_tensor({2, 4});
  auto w_bad = make_tensor({4, 5}), y_bad = make_tensor({2, 5}), b_bad = make_tensor({3}), x3 = make_tensor({2, 3, 1});
  auto empty = make_tensor({0, 3}), y_empty = make_tensor({0, 4});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const LinearParams p;
  check_refused(record_linear_forward(*cl, p, x.view(), w_bad.view(), b.view(), y.view()), "linear_forward",
                {"(2,3)", "(4,5)", "IN"});
  check_refused(record_linear_forward(*cl, p, x.view(), w.view(), b.view(), y_bad.view()), "linear_forward",
                {"y", "(2,5)", "(2,4)"});
  check_refused(record_linear_forward(*cl, p, x.view(), w.view(), b_bad.view(), y.view()), "linear_forward",
                {"bias", "(3)", "(4)"});
  check_refused(record_linear_forward(*cl, p, x3.view(), w.view(), b.view(), y.view()), "linear_forward",
                {"rank 2", "(2,3,1)"});
  check_refused(record_linear_forward(*cl, p, empty.view(), w.view(), b.view(), y_empty.view()), "linear_forward",
                {"(0,3)"});
  check_refused(record_linear_forward(*cl, p, x.view(), w.view(), b.view(), x.view()), "linear_forward", {"y", "(2,3)"});
  check_refused(record_linear_backward_data(*cl, y_bad.view(), w.view(), x.view(), false), "linear_backward_data",
                {"dy", "(2,5)", "(2,4)"});
  check_refused(record_linear_backward_data(*cl, y.view(), w_bad.view(), x.view(), false), "linear_backward_data",
                {"(2,3)", "(4,5)"});
  check_refused(record_linear_backward_weight(*cl, y.view(), x.view(), w_bad.view(), true), "linear_backward_weight",
                {"(2,3)", "(4,5)"});
  check_refused(record_linear_backward_weight(*cl, y_bad.view(), x.view(), w.view(), false), "linear_backward_weight",
                {"dy", "(2,5)"});
  check_refused(record_linear_backward_bias(*cl, y.view(), b_bad.view(), false), "linear_backward_bias",
                {"dbias", "(3)", "(4)"});
  check_refused(record_sum_rows(*cl, x3.view(), b.view(), false), "sum_rows", {"rank 2", "(2,3,1)"});
  check_refused(record_channel_sum(*cl, x.view(), b.view(), false), "channel_sum", {"rank 4", "(2,3)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
