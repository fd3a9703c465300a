// Broadcasting binary ops on the device against the reference: + - * / over scalar,
// per-channel (squeeze-excitation), row, outer-product and equal shapes, odd and real sizes,
// both gradients (overwriting and accumulating, including sums long enough to need several
// passes), and refused inputs.
#include "gpu.h"
#include "reference/binary.h"

#include "vknn/ops/binary.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_binary(BinaryOp op, const Shape& as, const Shape& bs, uint32_t seed) {
  CAPTURE(std::string(binary_name(op)));
  CAPTURE(as.str());
  CAPTURE(bs.str());
  const Shape ys = *broadcast_shapes(as, bs);
  auto a = random_floats(size_t(as.numel()), seed, -2, 2);
  auto b = random_floats(size_t(bs.numel()), seed + 1, 0.5f, 2);  // a divisor away from 0
  const auto dy = random_floats(size_t(ys.numel()), seed + 2);
  const auto y0 = random_floats(size_t(ys.numel()), seed + 3);
  const auto da0 = random_floats(size_t(as.numel()), seed + 4), db0 = random_floats(size_t(bs.numel()), seed + 5);
  const auto rop = ref::Bin(int(op));
  const auto y_want = ref::binary_forward(rop, to_double(a), as.dims, to_double(b), bs.dims);
  const auto g = ref::binary_backward(rop, to_double(a), as.dims, to_double(b), bs.dims, to_double(dy));

  auto ta = make_tensor(as, a), tb = make_tensor(bs, b), tdy = make_tensor(ys, dy);
  auto ty = make_tensor(ys), tyacc = make_tensor(ys, y0);
  auto tda = make_tensor(as), tdb = make_tensor(bs), tda_acc = make_tensor(as, da0), tdb_acc = make_tensor(bs, db0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_binary_forward(cl, op, ta.view(), tb.view(), ty.view()));
    REQUIRE_OK(record_binary_forward(cl, op, ta.view(), tb.view(), tyacc.view(), true));
    REQUIRE_OK(record_binary_backward(cl, op, ta.view(), tb.view(), tdy.view(), false, tda.view(), false));
    REQUIRE_OK(record_binary_backward(cl, op, ta.view(), tb.view(), tdy.view(), true, tdb.view(), false));
    REQUIRE_OK(record_binary_backward(cl, op, ta.view(), tb.view(), tdy.view(), false, tda_acc.view(), true));
    REQUIRE_OK(record_binary_backward(cl, op, ta.view(), tb.view(), tdy.view(), true, tdb_acc.view(), true));
  });
  const Tolerance tol{1e-5, 1e-5};
  check_close(ty.read(), y_want, tol, "binary y");
  check_close(tyacc.read(), plus(y_want, y0), tol, "binary y (accumulate)");
  // Sums over up to ~10^5 fp32 terms.
  const Tolerance sum_tol{1e-4, 1e-4};
  check_close(tda.read(), g.da, sum_tol, "binary da");
  check_close(tdb.read(), g.db, sum_tol, "binary db");
  check_close(tda_acc.read(), plus(g.da, da0), sum_tol, "binary da (accumulate)");
  check_close(tdb_acc.read(), plus(g.db, db0), sum_tol, "binary db (accumulate)");
}

}  // namespace

TEST_CASE("binary: every op over odd broadcasts matches the reference") {
  uint32_t seed = 1;
  const std::pair<Shape, Shape> shapes[] = {
      {{1}, {1}},         {{3}, {1}},          {{1}, {2, 3, 5, 7}}, {{2, 3, 5, 7}, {2, 3, 1, 1}},
      {{2, 3, 1, 1}, {2, 3, 5, 7}}, {{2, 3, 5, 7}, {3, 1, 1}}, {{5, 1}, {1, 7}}, {{2, 1, 5, 1}, {3, 1, 7}},
      {{2, 3, 5, 7}, {2, 3, 5, 7}}, {{65}, {65}},
  };
  for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div})
    for (const auto& [as, bs] : shapes) {
      check_binary(op, as, bs, seed);
      seed += 10;
    }
}

TEST_CASE("binary: real layer shapes") {
  check_binary(BinaryOp::mul, {2, 96, 1, 1}, {2, 96, 28, 28}, 201);   // MobileNetV3 squeeze-excitation gate
  check_binary(BinaryOp::mul, {1, 32, 112, 112}, {1, 32, 1, 1}, 202);  // EfficientNet-B0 stem SE (12544 per sum)
  check_binary(BinaryOp::mul, {1, 16, 112, 112}, {1, 16, 112, 112}, 203);  // SiLU's x * sigmoid(x)
  check_binary(BinaryOp::add, {1, 24, 56, 56}, {1}, 204);  // a scalar: one sum of 75264 terms, several passes
}

TEST_CASE("binary: refused inputs name the op and the shapes") {
  auto a = make_tensor({2, 3}), b = make_tensor({4}), y = make_tensor({2, 3}), other = make_tensor({3, 2});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_binary_forward(*cl, BinaryOp::mul, a.view(), b.view(), y.view()), "binary_forward",
                {"(2,3)", "(4)", "broadcast"});
  check_refused(record_binary_forward(*cl, BinaryOp::mul, a.view(), a.view(), other.view()), "binary_forward",
                {"y", "(3,2)", "(2,3)"});
  check_refused(record_binary_forward(*cl, BinaryOp::mul, a.view(), y.view(), a.view()), "binary_forward",
                {"overlaps"});
  check_refused(record_binary_forward(*cl, BinaryOp(7), a.view(), y.view(), other.view()), "binary_forward", {"op 7"});
  check_refused(record_binary_backward(*cl, BinaryOp::div, a.view(), y.view(), other.view(), false, a.view(), false),
                "binary_backward", {"dy", "(3,2)"});
  auto dy = make_tensor({2, 3}), one = make_tensor({1});
  check_refused(record_binary_backward(*cl, BinaryOp::div, a.view(), one.view(), dy.view(), true, a.view(), false),
                "binary_backward", {"db", "(1)", "(2,3)"});
  check_refused(record_binary_backward(*cl, BinaryOp::div, a.view(), y.view(), dy.view(), false, dy.view(), false),
                "binary_backward", {"overlaps"});
  auto seven = make_tensor({2, 1, 2, 1, 2, 1, 2}), seven_b = make_tensor({1, 2, 1, 2, 1, 2, 1});
  check_refused(record_binary_forward(*cl, BinaryOp::add, seven.view(), seven_b.view(), make_tensor({2, 2, 2, 2, 2, 2, 2}).view()),
                "binary_forward", {"runs of dims"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
