// Softmax cross-entropy on the device: every case of graph/cases/ops/softmax_xent.cpp against
// the reference (loss, top-1/top-5 with ties, the backward with a dloss buffer and
// accumulating, label smoothing, K = 1000/10 at batch 1..128), uniform and huge logits,
// invalid labels (counted, NaN loss, zero gradient, nothing written out of bounds), refused
// inputs.
#include "op_cases.h"
#include "reference/softmax_xent.h"

#include "vknn/ops/softmax_xent.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace vknn;
using namespace vknn::test;

namespace {

// int32 labels in a float tensor's bytes.
DeviceTensor label_tensor(const std::vector<int32_t>& labels) {
  std::vector<float> bits(labels.size());
  std::memcpy(bits.data(), labels.data(), labels.size() * 4);
  return make_tensor({int64_t(labels.size())}, bits);
}

struct Result {
  float loss, top1, top5, invalid;
  std::vector<float> dlogits, dlogits_acc;
};

Result run_xent(int n, int k, const std::vector<float>& z, const std::vector<int32_t>& labels, float dloss,
                const std::vector<float>& d0, float smoothing = 0.0f) {
  const SoftmaxXentParams p{smoothing};
  auto tz = make_tensor({n, k}, z), tl = label_tensor(labels);
  auto loss = make_tensor({1}, {-1}), top1 = make_tensor({1}, {-1}), top5 = make_tensor({1}, {-1});
  auto invalid = make_tensor({1}, {-1}), tdl = make_tensor({1}, {dloss});
  auto td = make_tensor({n, k}, d0), td_acc = make_tensor({n, k}, d0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_softmax_xent_forward(cl, tz.view(), tl.view(),
                                           {loss.view(), top1.view(), top5.view(), invalid.view()}, p));
    REQUIRE_OK(record_softmax_xent_backward(cl, tz.view(), tl.view(), tdl.view(), td.view(), false, p));
    REQUIRE_OK(record_softmax_xent_backward(cl, tz.view(), tl.view(), TensorView{}, td_acc.view(), true, p));
  });
  return {loss.read()[0], top1.read()[0], top5.read()[0], invalid.read()[0], td.read(), td_acc.read()};
}

}  // namespace

VKNN_CASES_ON_DEVICE(softmax_xent, ref::softmax_xent_case_outputs)

TEST_CASE("softmax_xent: uniform logits give log K and every sample top-1 correct, large logits stay finite") {
  for (int k : {10, 1000}) {
    CAPTURE(k);
    const int n = 4;
    std::vector<float> z(size_t(n) * k, 3.0f);
    for (int j = 0; j < k; ++j) z[size_t(3) * k + j] = 1e4f;  // exp would overflow without the max
    const auto r = run_xent(n, k, z, {0, 1, k - 1, 5}, 1.0f, std::vector<float>(z.size(), 0.0f));
    CHECK(r.loss == doctest::Approx(std::log(double(k))).epsilon(1e-5));
    CHECK(r.top1 == float(n));
    CHECK(r.top5 == float(n));
    for (float d : r.dlogits) CHECK(std::isfinite(d));
  }
}

TEST_CASE("softmax_xent: invalid labels are counted, give a NaN loss and zero gradients, and write nothing else") {
  const int n = 6, k = 10;
  const auto z = random_floats(size_t(n) * k, 21, -3, 3);
  const std::vector<int32_t> labels{2, -1, k, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(), 9};
  // The logits sit between guard regions in one buffer; the outputs too.
  const size_t guard = 64;
  std::vector<float> big(guard + z.size() + guard, 7.0f);
  std::copy(z.begin(), z.end(), big.begin() + guard);
  auto buf = device_buffer(big);
  const TensorView logits{buf.ref(guard * 4, z.size() * 4), Shape{n, k}};
  auto tl = label_tensor(labels);
  auto out = device_buffer(std::vector<float>(guard * 2 + z.size(), 7.0f));
  const TensorView loss{out.ref(0, 4), Shape{1}}, invalid{out.ref(16, 4), Shape{1}};
  const TensorView dlogits{out.ref(guard * 4, z.size() * 4), Shape{n, k}};
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_softmax_xent_forward(cl, logits, tl.view(), {loss, {}, {}, invalid}));
    REQUIRE_OK(record_softmax_xent_backward(cl, logits, tl.view(), {}, dlogits));
  });
  const auto o = read_back(out, guard * 2 + z.size());
  CHECK(std::isnan(o[0]));
  CHECK(o[4] == 4.0f);
  for (size_t i : {1, 2, 3, 5, 6, 63}) CHECK(o[i] == 7.0f);  // the absent metrics were not written
  for (size_t i = guard + z.size(); i < o.size(); ++i) CHECK(o[i] == 7.0f);
  const auto want = ref::softmax_xent_backward(n, k, to_double(z), labels);
  check_close(std::vector<float>(o.begin() + guard, o.begin() + guard + long(z.size())), want, {}, "xent dlogits");
  CHECK(read_back(buf, big.size()) == big);
  // Without `invalid`, the NaN loss alone reports it.
  auto loss2 = make_tensor({1});
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_softmax_xent_forward(cl, logits, tl.view(), {loss2.view()})); });
  CHECK(std::isnan(loss2.read()[0]));
}

TEST_CASE("softmax_xent: refused inputs name the op and the shapes") {
  auto z = make_tensor({4, 10}), l = make_tensor({4}), l_bad = make_tensor({5}), loss = make_tensor({1});
  auto two = make_tensor({2}), flat = make_tensor({40}), empty = make_tensor({0, 10}), l0 = make_tensor({0});
  auto d_bad = make_tensor({4, 9});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_softmax_xent_forward(*cl, z.view(), l_bad.view(), {loss.view()}), "softmax_xent_forward",
                {"labels", "(5)", "(4)"});
  check_refused(record_softmax_xent_forward(*cl, flat.view(), l.view(), {loss.view()}), "softmax_xent_forward",
                {"rank 2", "(40)"});
  check_refused(record_softmax_xent_forward(*cl, z.view(), l.view(), {two.view()}), "softmax_xent_forward",
                {"loss", "(2)", "(1)"});
  check_refused(record_softmax_xent_forward(*cl, z.view(), l.view(), {loss.view(), two.view()}), "softmax_xent_forward",
                {"top1", "(2)"});
  check_refused(record_softmax_xent_forward(*cl, z.view(), l.view(), {loss.view(), loss.view()}), "softmax_xent_forward",
                {"overlap"});
  check_refused(record_softmax_xent_forward(*cl, empty.view(), l0.view(), {loss.view()}), "softmax_xent_forward",
                {"(0,10)"});
  check_refused(record_softmax_xent_backward(*cl, z.view(), l.view(), {}, d_bad.view()), "softmax_xent_backward",
                {"dlogits", "(4,9)", "(4,10)"});
  check_refused(record_softmax_xent_backward(*cl, z.view(), l.view(), two.view(), z.view()), "softmax_xent_backward",
                {"dloss", "(2)"});
  check_refused(record_softmax_xent_backward(*cl, z.view(), l_bad.view(), {}, z.view()), "softmax_xent_backward",
                {"labels", "(5)"});
  check_refused(record_softmax_xent_forward(*cl, z.view(), l.view(), {loss.view()}, {1.5f}), "softmax_xent_forward",
                {"label smoothing 1.5", "[0, 1]"});
  auto d_ok = make_tensor({4, 10});
  check_refused(record_softmax_xent_backward(*cl, z.view(), l.view(), {}, d_ok.view(), false, {-0.1f}),
                "softmax_xent_backward", {"label smoothing -0.1"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
