// ReLU on the device against the reference: forward (also in place), backward (overwriting,
// accumulating, in place), odd sizes, zeros, and refused inputs.
#include "gpu.h"
#include "reference/relu.h"

#include "vknn/ops/relu.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_relu(const Shape& shape, uint32_t seed) {
  CAPTURE(shape.str());
  const size_t n = size_t(shape.numel());
  auto x = random_floats(n, seed, -2, 2);
  if (n > 2) x[1] = 0.0f, x[2] = -0.0f;  // the kink: derivative 0
  const auto dy = random_floats(n, seed + 1), dx0 = random_floats(n, seed + 2);
  const auto y_want = ref::relu_forward(to_double(x));
  const auto dx_want = ref::relu_backward(y_want, to_double(dy));
  std::vector<double> dx_acc_want(dx_want);
  for (size_t i = 0; i < n; ++i) dx_acc_want[i] += dx0[i];

  auto tx = make_tensor(shape, x), ty = make_tensor(shape, dx0), tinplace = make_tensor(shape, x);
  auto tdy = make_tensor(shape, dy), tdx = make_tensor(shape, dx0), tdx_acc = make_tensor(shape, dx0);
  auto tg = make_tensor(shape, dy), tg2 = make_tensor(shape, dy);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_relu_forward(cl, tx.view(), ty.view()));
    REQUIRE_OK(record_relu_forward(cl, tinplace.view(), tinplace.view()));
    REQUIRE_OK(record_relu_backward(cl, ty.view(), tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_relu_backward(cl, ty.view(), tdy.view(), tdx_acc.view(), true));
    REQUIRE_OK(record_relu_backward_inplace(cl, ty.view(), tg.view()));
    REQUIRE_OK(record_relu_backward(cl, ty.view(), tg2.view(), tg2.view(), false));  // dx = dy: in place
  });
  check_close(ty.read(), y_want, {0, 0}, "relu y");
  check_close(tinplace.read(), y_want, {0, 0}, "relu y (in place)");
  check_close(tdx.read(), dx_want, {0, 0}, "relu dx");
  check_close(tdx_acc.read(), dx_acc_want, {}, "relu dx (accumulate)");
  check_close(tg.read(), dx_want, {0, 0}, "relu dx (in place)");
  check_close(tg2.read(), dx_want, {0, 0}, "relu dx (dx = dy)");
}

}  // namespace

TEST_CASE("relu: odd sizes and shapes match the reference exactly") {
  check_relu({1}, 1);
  check_relu({3}, 2);
  check_relu({65}, 3);
  check_relu({2, 3, 5, 7}, 4);
  check_relu({1, 96, 55, 55}, 5);   // AlexNet conv1
  check_relu({2, 4096}, 6);         // fc6/fc7
  check_relu({1, 64, 112, 112}, 7);  // ResNet stem
}

TEST_CASE("relu: refused inputs name the op and the shapes") {
  auto x = make_tensor({2, 3}), other = make_tensor({3, 2}), empty = make_tensor({2, 0});
  auto big = make_tensor({8});
  const TensorView head{big.buffer.ref(0, 16), Shape{4}}, tail{big.buffer.ref(8, 16), Shape{4}};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_relu_forward(*cl, x.view(), other.view()), "relu_forward", {"y", "(3,2)", "(2,3)"});
  check_refused(record_relu_forward(*cl, empty.view(), empty.view()), "relu_forward", {"(2,0)"});
  check_refused(record_relu_forward(*cl, head, tail), "relu_forward", {"overlaps"});
  check_refused(record_relu_backward(*cl, x.view(), other.view(), x.view(), false), "relu_backward",
                {"dy", "(3,2)", "(2,3)"});
  check_refused(record_relu_backward(*cl, x.view(), x.view(), other.view(), true), "relu_backward", {"dx", "(3,2)"});
  check_refused(record_relu_backward(*cl, other.view(), x.view(), x.view(), true), "relu_backward", {"(2,3)", "(3,2)"});
  auto y = make_tensor({2, 3});
  check_refused(record_relu_backward(*cl, y.view(), x.view(), x.view(), true), "relu_backward", {"in place"});
  check_refused(record_relu_backward_inplace(*cl, x.view(), other.view()), "relu_backward_inplace", {"grad", "(3,2)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
