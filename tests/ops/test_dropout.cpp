// Dropout on the device: every case of graph/cases/ops/dropout.cpp against the reference (the
// mask, Philox4x32-10, bit for bit; forward and backward), the keep fraction, the
// StepParams-buffer path, inference and p = 0 as the identity, chunking over bindings (the
// counter continues across chunks), refused inputs.
#include "op_cases.h"
#include "reference/dropout.h"
#include "reference/philox.h"

#include "vknn/graph/graph.h"
#include "vknn/ops/dropout.h"

#include <cmath>

using namespace vknn;
using namespace vknn::test;

namespace {

// The mask the device applied: forward of all ones gives scale where kept, 0 where dropped.
std::vector<uint8_t> mask_of(const std::vector<float>& y, float scale) {
  std::vector<uint8_t> keep(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    REQUIRE_MESSAGE((y[i] == 0.0f || y[i] == scale), "element " << i << " is " << y[i]);
    keep[i] = y[i] == scale ? 1 : 0;
  }
  return keep;
}

size_t mismatches(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t bad = 0;
  for (size_t i = 0; i < a.size(); ++i) bad += a[i] != b[i];
  return bad;
}

}  // namespace

VKNN_CASES_ON_DEVICE(dropout, ref::dropout_case_outputs)

TEST_CASE("dropout: keep fraction, and same step same mask, next step another") {
  const size_t n = 100000;
  const float p = 0.5f, scale = 2.0f;
  auto ones = make_tensor({int64_t(n)}, std::vector<float>(n, 1.0f));
  auto a = make_tensor({int64_t(n)}), b = make_tensor({int64_t(n)}), c = make_tensor({int64_t(n)});
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_dropout_forward(cl, {p, 9, 3, true, {}}, ones.view(), a.view()));
    REQUIRE_OK(record_dropout_forward(cl, {p, 9, 3, true, {}}, ones.view(), b.view()));
    REQUIRE_OK(record_dropout_forward(cl, {p, 9, 4, true, {}}, ones.view(), c.view()));
  });
  const auto ma = mask_of(a.read(), scale), mb = mask_of(b.read(), scale), mc = mask_of(c.read(), scale);
  size_t kept = 0;
  for (auto k : ma) kept += k;
  CHECK(std::abs(double(kept) / n - 0.5) < 5 * std::sqrt(0.25 / n));
  CHECK(mismatches(ma, mb) == 0);
  const size_t differ = mismatches(ma, mc);
  CHECK(differ > n / 2 - 1000);  // independent masks differ on about half
  CHECK(differ < n / 2 + 1000);
}

TEST_CASE("dropout: step and seed from a StepParams buffer, inference and p = 0 are the identity") {
  const size_t n = 1000;
  const auto x = random_floats(n, 5);
  const uint64_t layer_salt = 0x5a5a;
  StepParams sp;
  sp.step = 11, sp.seed_lo = 0x01020304, sp.seed_hi = 0x0a0b0c0d, sp.training = 1;
  auto step_buf = device_buffer(std::vector<float>(8, 0.0f));
  REQUIRE_OK(gpu().upload(step_buf.ref(), &sp, sizeof(sp)));
  const uint64_t seed = (uint64_t(sp.seed_hi) << 32 | sp.seed_lo) ^ layer_salt;
  auto tx = make_tensor({int64_t(n)}, x), ty = make_tensor({int64_t(n)}), tid = make_tensor({int64_t(n)});
  auto tzero = make_tensor({int64_t(n)}), tinf = make_tensor({int64_t(n)});
  run_recorded([&](CommandList& cl) {
    // step 99 here is ignored: the buffer's step and seed (XOR the layer's salt) are used.
    REQUIRE_OK(record_dropout_forward(cl, {0.3f, layer_salt, 99, true, step_buf.ref()}, tx.view(), ty.view()));
    REQUIRE_OK(record_dropout_forward(cl, {0.3f, 1, 2, false, {}}, tx.view(), tid.view()));
    REQUIRE_OK(record_dropout_forward(cl, {0.0f, 1, 2, true, {}}, tx.view(), tzero.view()));
  });
  const auto keep = ref::dropout_mask(n, 0.3f, seed, 11);
  check_close(ty.read(), ref::dropout_forward(to_double(x), keep, 0.3f), {}, "dropout y (step buffer)");
  check_close(tid.read(), to_double(x), {0, 0}, "dropout y (inference)");
  check_close(tzero.read(), to_double(x), {0, 0}, "dropout y (p = 0)");
  // training = 0 in the buffer: the identity, without re-recording.
  sp.training = 0;
  REQUIRE_OK(gpu().upload(step_buf.ref(), &sp, sizeof(sp)));
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_dropout_backward(cl, {0.3f, layer_salt, 0, true, step_buf.ref()}, tx.view(), tinf.view(), false));
  });
  check_close(tinf.read(), to_double(x), {0, 0}, "dropout dx (buffer says inference)");
}

TEST_CASE("dropout: over more than one binding the element index continues across chunks") {
  const size_t n = (size_t(1) << 25) + 333;  // two chunks on lavapipe
  auto ones = make_tensor({int64_t(n)}, std::vector<float>(n, 1.0f)), y = make_tensor({int64_t(n)});
  const DropoutParams dp{0.5f, 77, 1, true, {}};
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_dropout_forward(cl, dp, ones.view(), y.view())); });
  const auto got = y.read();
  size_t bad = 0, checked = 0;
  for (size_t i = 0; i < n; i += (i + 2000 > (size_t(1) << 25) && i < (size_t(1) << 25) + 2000) ? 1 : 97) {
    const bool keep = ref::dropout_keep(77, 1, uint32_t(i), 0.5f);
    bad += got[i] != (keep ? 2.0f : 0.0f);
    ++checked;
  }
  CHECK(checked > 300000);
  CHECK(bad == 0);
}

TEST_CASE("dropout: refused inputs name the op and the shapes") {
  auto x = make_tensor({2, 3}), other = make_tensor({3, 2}), empty = make_tensor({0, 3});
  auto small = device_buffer_zeros(4);
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  for (float p : {1.0f, -0.1f, 1.5f, NAN}) {
    CAPTURE(p);
    check_refused(record_dropout_forward(*cl, {p, 0, 0, true, {}}, x.view(), x.view()), "dropout_forward",
                  {"outside [0, 1)", "(2,3)"});
  }
  check_refused(record_dropout_forward(*cl, {}, x.view(), other.view()), "dropout_forward", {"y", "(3,2)", "(2,3)"});
  check_refused(record_dropout_forward(*cl, {}, empty.view(), empty.view()), "dropout_forward", {"(0,3)"});
  check_refused(record_dropout_backward(*cl, {}, x.view(), other.view(), false), "dropout_backward",
                {"dx", "(3,2)", "(2,3)"});
  check_refused(record_dropout_backward(*cl, {}, x.view(), x.view(), true), "dropout_backward", {"in place"});
  check_refused(record_dropout_backward(*cl, {0.5f, 0, 0, true, small.ref(0, 8)}, x.view(), other.view(), false),
                "dropout_backward", {"(3,2)"});
  check_refused(record_dropout_forward(*cl, {0.5f, 0, 0, true, small.ref(0, 8)}, x.view(), x.view()), "dropout_forward",
                {"StepParams", "(2,3)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
