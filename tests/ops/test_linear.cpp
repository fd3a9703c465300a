// Linear on the device: every case of graph/cases/ops/linear.cpp against the double-precision
// reference (forward with bias, without, with the ReLU fused; backward data, weight and bias,
// overwriting and accumulating; the forward at batch 1..9; the sums over rows and per
// channel; odd shapes, CIFAR, ResNet and AlexNet layers), and refused inputs.
#include "op_cases.h"
#include "reference/linear.h"

#include "vknn/ops/linear.h"

using namespace vknn;
using namespace vknn::test;

namespace {

const ref::CaseReference kReference = ref::linear_case_outputs;
[[maybe_unused]] const bool registered = register_device_reference("linear");

bool forward_only(const cases::OpCase& c) { return c.name.rfind("forward at batch", 0) == 0; }
bool alexnet(const cases::OpCase& c) { return c.model == "alexnet"; }

}  // namespace

// The cases of graph/cases/ops/linear.cpp, over several test cases: the forward at batch 1..8
// runs again with the 64-bit loads chosen (tests/CMakeLists.txt), and the AlexNet layers stay
// out of the suite's runs at other device settings (over a minute each, and the same at every
// width).
TEST_CASE("linear: forward at batch 1..8 (the matrix-vector kernel where the device has it) at odd shapes") {
  check_cases_on_device("linear", kReference, false, forward_only);
}

TEST_CASE("linear: forward at batch 1..8 at AlexNet fc6 9216->4096 (sliced weight), fc7 and fc8") {
  check_cases_on_device("linear", kReference, true, [](const cases::OpCase& c) { return forward_only(c) && alexnet(c); });
}

TEST_CASE("linear: odd shapes match the reference") {
  check_cases_on_device("linear", kReference, false, [](const cases::OpCase& c) { return !forward_only(c); });
}

TEST_CASE("linear: real layer shapes match the reference") {
  check_cases_on_device("linear", kReference, true, [](const cases::OpCase& c) { return !alexnet(c); });
}

TEST_CASE("linear: AlexNet fc6 9216->4096 (a weight larger than one binding), fc7 and fc8 match the reference") {
  check_cases_on_device("linear", kReference, true, [](const cases::OpCase& c) { return !forward_only(c) && alexnet(c); });
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
