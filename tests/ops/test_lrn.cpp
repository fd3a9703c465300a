// LRN on the device against the double-precision reference: forward, backward (plain and
// accumulating), tiny and odd shapes, AlexNet's layers, and refused inputs.
#include "gpu.h"
#include "reference/lrn.h"

#include "vknn/ops/lrn.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_lrn_variant(const LrnParams& p, Shape shape, uint32_t seed, float range) {
  CAPTURE(shape.str());
  CAPTURE(p.size);
  CAPTURE(p.alpha);
  CAPTURE(int(resolve_lrn_variant(gpu().profile(), p)));
  const int n = int(shape[0]), c = int(shape[1]), h = int(shape[2]), w = int(shape[3]);
  const size_t count = size_t(shape.numel());
  const auto x = random_floats(count, seed, -range, range);
  const auto dy = random_floats(count, seed + 1);
  const auto dx0 = random_floats(count, seed + 2);

  const ref::LrnParams rp{p.size, p.alpha, p.beta, p.k};
  const auto f = ref::lrn_forward(rp, n, c, h, w, to_double(x));
  const auto dx = ref::lrn_backward(rp, n, c, h, w, to_double(x), f.scale, to_double(dy));
  std::vector<double> dx_acc(count);
  for (size_t i = 0; i < count; ++i) dx_acc[i] = dx[i] + dx0[i];

  auto tx = make_tensor(shape, x), ty = make_tensor(shape), ts = make_tensor(shape);
  auto tdy = make_tensor(shape, dy), tdx = make_tensor(shape), tdx_acc = make_tensor(shape, dx0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_lrn_forward(cl, p, tx.view(), ty.view(), ts.view()));
    REQUIRE_OK(record_lrn_backward(cl, p, tx.view(), ts.view(), tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_lrn_backward(cl, p, tx.view(), ts.view(), tdy.view(), tdx_acc.view(), true));
  });
  check_close(ty.read(), f.y, {}, "lrn y");
  check_close(ts.read(), f.scale, {}, "lrn scale");
  check_close(tdx.read(), dx, {}, "lrn dx");
  check_close(tdx_acc.read(), dx_acc, {}, "lrn dx (accumulate)");
}

// Runs both variants (per_element, the GPU one, and per_column, the CPU one).
void check_lrn(LrnParams p, Shape shape, uint32_t seed, float range) {
  for (auto variant : {LrnVariant::per_element, LrnVariant::per_column}) {
    p.variant = variant;
    check_lrn_variant(p, shape, seed, range);
  }
}

}  // namespace

TEST_CASE("lrn: tiny and odd shapes match the reference") {
  const LrnParams paper;
  check_lrn(paper, {1, 1, 1, 1}, 1, 3.0f);
  check_lrn(paper, {1, 3, 1, 1}, 2, 3.0f);
  check_lrn(paper, {2, 3, 5, 7}, 3, 3.0f);
  check_lrn(paper, {1, 7, 3, 3}, 4, 3.0f);
  check_lrn(LrnParams{3, 0.1f, 0.75f, 1.0f}, {1, 7, 3, 3}, 5, 2.0f);  // the cross-channel term matters
  check_lrn(LrnParams{5, 0.1f, 0.75f, 2.0f}, {2, 6, 9, 11}, 6, 2.0f);
  check_lrn(LrnParams{9, 0.05f, 0.5f, 2.0f}, {1, 4, 2, 2}, 7, 2.0f);  // window wider than C
  check_lrn(LrnParams{17, 0.05f, 0.75f, 2.0f}, {1, 20, 3, 1}, 9, 2.0f);  // over kLrnMaxColumnSize: per_element
  check_lrn(LrnParams{1, 0.1f, 0.75f, 2.0f}, {1, 5, 3, 2}, 8, 2.0f);  // size 1: per element
}

TEST_CASE("lrn: AlexNet conv1 shape (96x55x55 and 48x55x55)") {
  check_lrn(LrnParams{}, {1, 96, 55, 55}, 11, 10.0f);
  check_lrn(LrnParams{5, 0.1f, 0.75f, 2.0f}, {2, 48, 55, 55}, 12, 2.0f);
}

TEST_CASE("lrn: AlexNet conv2 shape (256x27x27 and 128x27x27)") {
  check_lrn(LrnParams{}, {1, 256, 27, 27}, 13, 10.0f);
  check_lrn(LrnParams{5, 0.1f, 0.75f, 2.0f}, {2, 128, 27, 27}, 14, 2.0f);
}

TEST_CASE("lrn: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 4, 3, 3}), other = make_tensor({1, 4, 3, 2}), flat = make_tensor({4, 9});
  auto empty = make_tensor({1, 0, 3, 3});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const LrnParams p;
  check_refused(record_lrn_forward(*cl, p, x.view(), other.view(), x.view()), "lrn_forward", {"(1,4,3,2)", "(1,4,3,3)"});
  check_refused(record_lrn_forward(*cl, p, x.view(), x.view(), other.view()), "lrn_forward", {"scale", "(1,4,3,2)"});
  check_refused(record_lrn_forward(*cl, p, flat.view(), flat.view(), flat.view()), "lrn_forward", {"rank 4", "(4,9)"});
  check_refused(record_lrn_forward(*cl, p, empty.view(), empty.view(), empty.view()), "lrn_forward", {"(1,0,3,3)"});
  for (int size : {4, 0, -3}) {
    CAPTURE(size);
    check_refused(record_lrn_forward(*cl, LrnParams{size}, x.view(), x.view(), x.view()), "lrn_forward",
                  {"odd and positive", "(1,4,3,3)"});
  }
  check_refused(record_lrn_forward(*cl, LrnParams{5, 1e-4f, 0.75f, 0.0f}, x.view(), x.view(), x.view()), "lrn_forward",
                {"k > 0"});
  check_refused(record_lrn_backward(*cl, p, x.view(), x.view(), other.view(), x.view(), false), "lrn_backward",
                {"dy", "(1,4,3,2)", "(1,4,3,3)"});
  check_refused(record_lrn_backward(*cl, p, x.view(), x.view(), x.view(), other.view(), true), "lrn_backward",
                {"dx", "(1,4,3,2)"});
  check_refused(record_lrn_backward(*cl, LrnParams{2}, x.view(), x.view(), x.view(), x.view(), false), "lrn_backward",
                {"size", "(1,4,3,3)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
