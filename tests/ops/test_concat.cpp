// Concat and split along channels on the device: against the reference, with the backwards
// (split with per-input accumulate flags, concat with accumulate), the two-column AlexNet
// shapes, and refused inputs.
#include "gpu.h"
#include "reference/concat.h"

#include "vknn/ops/concat.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_concat(int n, const std::vector<int>& channels, int h, int w, uint32_t seed) {
  CAPTURE(n);
  CAPTURE(channels.size());
  CAPTURE(h);
  CAPTURE(w);
  const int inner = h * w;
  int total = 0;
  for (int c : channels) total += c;
  std::vector<DeviceTensor> ins, grads;
  std::vector<std::vector<float>> in_vals, g0;
  std::vector<ref::Vec> in_d;
  for (size_t i = 0; i < channels.size(); ++i) {
    const Shape s{n, channels[i], h, w};
    in_vals.push_back(random_floats(size_t(s.numel()), seed + uint32_t(i)));
    g0.push_back(random_floats(size_t(s.numel()), seed + 100 + uint32_t(i)));
    in_d.push_back(to_double(in_vals.back()));
    ins.push_back(make_tensor(s, in_vals.back()));
    grads.push_back(make_tensor(s, g0.back()));
  }
  const Shape ys{n, total, h, w};
  const auto y0 = random_floats(size_t(ys.numel()), seed + 50);
  const auto dy = random_floats(size_t(ys.numel()), seed + 51);
  auto ty = make_tensor(ys, y0), ty_acc = make_tensor(ys, y0), tdy = make_tensor(ys, dy);
  auto tback = make_tensor(ys, y0);  // split's backward: concat of the parts' gradients into dx, accumulating
  std::vector<TensorView> in_views, grad_views;
  for (auto& t : ins) in_views.push_back(t.view());
  for (auto& t : grads) grad_views.push_back(t.view());
  std::vector<bool> acc(channels.size());
  for (size_t i = 0; i < acc.size(); ++i) acc[i] = i % 2 == 1;  // first, later, first, ... contributors

  const auto y_want = ref::concat_forward(n, channels, inner, in_d);
  const auto dx_want = ref::concat_backward(n, channels, inner, to_double(dy));
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_concat(cl, in_views, ty.view()));
    REQUIRE_OK(record_concat(cl, in_views, ty_acc.view(), true));
    REQUIRE_OK(record_split(cl, tdy.view(), grad_views, acc));
    REQUIRE_OK(record_concat(cl, in_views, tback.view(), true));
  });
  check_close(ty.read(), y_want, {0, 0}, "concat y");
  std::vector<double> y_acc_want(y_want);
  for (size_t i = 0; i < y_acc_want.size(); ++i) y_acc_want[i] += y0[i];
  check_close(ty_acc.read(), y_acc_want, {}, "concat y (accumulate)");
  check_close(tback.read(), y_acc_want, {}, "split backward (concat, accumulate)");
  for (size_t i = 0; i < channels.size(); ++i) {
    CAPTURE(i);
    std::vector<double> want(dx_want[i]);
    if (acc[i])
      for (size_t j = 0; j < want.size(); ++j) want[j] += g0[i][j];
    check_close(grads[i].read(), want, acc[i] ? Tolerance{} : Tolerance{0, 0}, "concat backward (split)");
  }

  // split forward then concat back: the identity.
  std::vector<DeviceTensor> parts;
  std::vector<TensorView> part_views;
  for (int c : channels) parts.push_back(make_tensor({n, c, h, w}));
  for (auto& t : parts) part_views.push_back(t.view());
  auto round = make_tensor(ys);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_split(cl, ty.view(), part_views));
    REQUIRE_OK(record_concat(cl, part_views, round.view()));
  });
  check_close(round.read(), y_want, {0, 0}, "split then concat");
}

}  // namespace

TEST_CASE("concat: odd shapes match the reference") {
  check_concat(1, {1}, 1, 1, 1);
  check_concat(1, {1, 2}, 1, 1, 2);
  check_concat(2, {3, 4, 1}, 5, 7, 3);
  check_concat(3, {5, 5}, 1, 1, 4);   // rank-4 with 1x1 images (a classifier's columns)
  check_concat(1, {2, 3, 4, 5}, 3, 2, 5);
}

TEST_CASE("concat: two-column AlexNet shapes (2 x 128 x 27x27, 2 x 192 x 13x13, 2 x 128 x 13x13)") {
  check_concat(1, {128, 128}, 27, 27, 11);
  check_concat(2, {192, 192}, 13, 13, 12);
  check_concat(2, {128, 128}, 13, 13, 13);
}

TEST_CASE("concat: rank-2 tensors (N,C) and the channel copy building block") {
  auto a = make_tensor({2, 3}, {1, 2, 3, 4, 5, 6}), b = make_tensor({2, 1}, {7, 8}), y = make_tensor({2, 4});
  const TensorView ins[] = {a.view(), b.view()};
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_concat(cl, ins, y.view())); });
  check_close(y.read(), {1, 2, 3, 7, 4, 5, 6, 8}, {0, 0}, "concat (N,C)");
  auto z = make_tensor({2, 5}, std::vector<float>(10, 1.0f));
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_copy_channels(cl, y.view(), 1, z.view(), 3, 2, true)); });
  check_close(z.read(), {1, 1, 1, 3, 4, 1, 1, 1, 6, 7}, {0, 0}, "copy_channels (accumulate)");
}

TEST_CASE("concat: refused inputs name the op and the shapes") {
  auto a = make_tensor({2, 3, 4, 4}), b = make_tensor({2, 5, 4, 4}), y = make_tensor({2, 8, 4, 4});
  auto bad_n = make_tensor({1, 5, 4, 4}), bad_hw = make_tensor({2, 5, 4, 3}), y_bad = make_tensor({2, 9, 4, 4});
  auto empty = make_tensor({2, 0, 4, 4}), flat = make_tensor({8});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  {
    const TensorView ins[] = {a.view(), bad_n.view()};
    check_refused(record_concat(*cl, ins, y.view()), "concat", {"(1,5,4,4)", "(2,8,4,4)", "dim other than 1"});
  }
  {
    const TensorView ins[] = {a.view(), bad_hw.view()};
    check_refused(record_concat(*cl, ins, y.view()), "concat", {"(2,5,4,3)", "(2,8,4,4)"});
  }
  {
    const TensorView ins[] = {a.view(), b.view()};
    check_refused(record_concat(*cl, ins, y_bad.view()), "concat", {"8 channels", "(2,9,4,4)", "(2,3,4,4), (2,5,4,4)"});
    check_refused(record_split(*cl, y_bad.view(), ins), "split", {"(2,9,4,4)"});
    check_refused(record_split(*cl, y.view(), ins, {true}), "split", {"1 accumulate flags for 2 outputs"});
    check_refused(record_concat(*cl, {}, y.view()), "concat", {"no inputs", "(2,8,4,4)"});
  }
  {
    const TensorView ins[] = {a.view(), empty.view()};
    check_refused(record_concat(*cl, ins, y.view()), "concat", {"(2,0,4,4)"});
  }
  {
    const TensorView ins[] = {flat.view()};
    check_refused(record_concat(*cl, ins, flat.view()), "concat", {"rank >= 2", "(8)"});
  }
  {
    const TensorView ins[] = {a.view(), b.view(), a.view()};
    check_refused(record_split(*cl, y.view(), ins), "split", {"(2,8,4,4)"});
  }
  check_refused(record_copy_channels(*cl, a.view(), 2, b.view(), 0, 2, false), "copy_channels", {"out of range"});
  check_refused(record_copy_channels(*cl, a.view(), 0, bad_n.view(), 0, 2, false), "copy_channels", {"(1,5,4,4)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
