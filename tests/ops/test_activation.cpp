// The activation family on the device against the reference: every kind, forward (also in
// place) and backward (overwriting and accumulating), odd sizes and real layer shapes, the
// kinks, and refused inputs.
#include "gpu.h"
#include "reference/activation.h"

#include "vknn/ops/activation.h"

#include <limits>

using namespace vknn;
using namespace vknn::test;

namespace {

ref::ActParams to_ref(const ActivationParams& p) {
  return {ref::Act(int(p.kind)), double(p.alpha), double(p.beta)};
}

const ActivationParams kKinds[] = {
    ActivationParams::sigmoid(),
    ActivationParams::hardsigmoid(),           // PyTorch's
    ActivationParams::hardsigmoid(0.2f, 0.5f),  // ONNX's default
    ActivationParams::hardswish(),
    ActivationParams::silu(),
    ActivationParams::relu6(),
    ActivationParams::clip(-0.5f, 0.25f),
    ActivationParams::clip(-std::numeric_limits<float>::infinity(), 1.0f),  // Clip with only a max
    ActivationParams::leaky_relu(0.01f),
    ActivationParams::tanh(),
};

void check_activation(const ActivationParams& p, const Shape& shape, uint32_t seed) {
  CAPTURE(std::string(activation_name(p.kind)));
  CAPTURE(p.alpha);
  CAPTURE(p.beta);
  CAPTURE(shape.str());
  const size_t n = size_t(shape.numel());
  auto x = random_floats(n, seed, -8, 8);
  // The kinks of every kind, and far tails (exp overflows in the sigmoid's denominator).
  const float special[] = {-3, 3, 0, 6, -0.5f, 0.25f, 1, -2.5f, 2.5f, -100, 100};
  for (size_t i = 0; i < n && i < std::size(special); ++i) x[(i * 7919) % n] = special[i];
  const auto dy = random_floats(n, seed + 1), dx0 = random_floats(n, seed + 2);
  const ref::ActParams rp = to_ref(p);
  const auto y_want = ref::activation_forward(rp, to_double(x));
  const auto dx_want = ref::activation_backward(rp, to_double(x), to_double(dy));

  auto tx = make_tensor(shape, x), ty = make_tensor(shape, dx0), tinplace = make_tensor(shape, x);
  auto tdy = make_tensor(shape, dy), tdx = make_tensor(shape, dx0), tdx_acc = make_tensor(shape, dx0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_activation_forward(cl, p, tx.view(), ty.view()));
    REQUIRE_OK(record_activation_forward(cl, p, tinplace.view(), tinplace.view()));
    REQUIRE_OK(record_activation_backward(cl, p, tx.view(), tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_activation_backward(cl, p, tx.view(), tdy.view(), tdx_acc.view(), true));
  });
  // exp in fp32 on the device: a few ulp (GLSL's bound is 3 + 2|x| ulp).
  const Tolerance tol{1e-6, 1e-5};
  check_close(ty.read(), y_want, tol, "activation y");
  check_close(tinplace.read(), y_want, tol, "activation y (in place)");
  check_close(tdx.read(), dx_want, tol, "activation dx");
  check_close(tdx_acc.read(), plus(dx_want, dx0), tol, "activation dx (accumulate)");
}

}  // namespace

TEST_CASE("activation: every kind at odd sizes matches the reference") {
  uint32_t seed = 1;
  for (const auto& p : kKinds)
    for (const Shape& s : {Shape{1}, Shape{3}, Shape{65}, Shape{2, 3, 5, 7}}) check_activation(p, s, seed++);
}

TEST_CASE("activation: real layer shapes") {
  check_activation(ActivationParams::relu6(), {1, 96, 56, 56}, 101);     // MobileNetV2 block 2 expansion
  check_activation(ActivationParams::hardswish(), {2, 16, 56, 56}, 102);  // MobileNetV3-small stem at 112
  check_activation(ActivationParams::silu(), {1, 32, 112, 112}, 103);     // EfficientNet-B0 stem
  check_activation(ActivationParams::sigmoid(), {2, 96, 1, 1}, 104);      // a squeeze-excitation gate
  check_activation(ActivationParams::hardsigmoid(), {2, 576, 1, 1}, 105);
  check_activation(ActivationParams::tanh(), {2, 64, 28, 28}, 106);
}

TEST_CASE("activation: refused inputs name the op and the shapes") {
  auto x = make_tensor({2, 3}), other = make_tensor({3, 2}), empty = make_tensor({2, 0});
  auto big = make_tensor({8});
  const TensorView head{big.buffer.ref(0, 16), Shape{4}}, tail{big.buffer.ref(8, 16), Shape{4}};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const auto sig = ActivationParams::sigmoid();
  check_refused(record_activation_forward(*cl, sig, x.view(), other.view()), "activation_forward",
                {"y", "(3,2)", "(2,3)"});
  check_refused(record_activation_forward(*cl, sig, empty.view(), empty.view()), "activation_forward", {"(2,0)"});
  check_refused(record_activation_forward(*cl, sig, head, tail), "activation_forward", {"overlaps"});
  check_refused(record_activation_forward(*cl, ActivationParams::clip(1, -1), x.view(), x.view()),
                "activation_forward", {"clip", "[1, -1]"});
  check_refused(record_activation_forward(*cl, ActivationParams::leaky_relu(std::numeric_limits<float>::quiet_NaN()),
                                          x.view(), x.view()),
                "activation_forward", {"leaky_relu", "finite"});
  check_refused(record_activation_backward(*cl, sig, x.view(), other.view(), x.view(), false), "activation_backward",
                {"dy", "(3,2)", "(2,3)"});
  auto dy = make_tensor({2, 3});
  check_refused(record_activation_backward(*cl, sig, x.view(), dy.view(), dy.view(), false), "activation_backward",
                {"overlaps"});
  check_refused(record_activation_backward(*cl, sig, x.view(), dy.view(), x.view(), true), "activation_backward",
                {"overlaps"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
