// Zero padding and cropping of C, H and W on the device against the reference: forward,
// backward (plain and accumulating) over a table of pads and shapes (tiny, odd, cropped, and
// real layer shapes), the graph builder, and refused inputs.
#include "gpu.h"
#include "reference/pad.h"

#include "vknn/ops/pad.h"

using namespace vknn;
using namespace vknn::test;

namespace {

struct PadCase {
  Shape x;                        // (N,C,H,W)
  std::array<int64_t, 3> begin;   // (C,H,W)
  std::array<int64_t, 3> end;     // (C,H,W)
  float value = 0.0f;
};

// Copies and zeros: exact, except the accumulating backward (one float addition).
const PadCase kCases[] = {
    {{1, 1, 1, 1}, {0, 0, 0}, {0, 0, 0}},
    {{1, 1, 1, 1}, {1, 2, 3}, {2, 1, 0}},
    {{2, 3, 7, 9}, {0, 1, 0}, {0, 0, 1}},     // asymmetric H and W (TF-style SAME before a pool)
    {{1, 3, 5, 6}, {2, 0, 0}, {1, 0, 0}},     // channels only
    {{3, 2, 4, 3}, {1, -1, 2}, {0, 2, -1}},   // pad and crop mixed
    {{1, 5, 6, 7}, {-2, -1, -3}, {-1, -2, 0}},  // crop only
    {{1, 2, 2, 17}, {0, 3, 0}, {0, 3, 0}},
    {{2, 64, 56, 56}, {0, 1, 1}, {0, 1, 1}},  // ResNet stem after the max pool's input, batch 2
    {{1, 96, 27, 27}, {0, 0, 0}, {0, 1, 1}},  // AlexNet conv2 input, padded after only
    {{1, 24, 28, 28}, {8, 0, 0}, {8, 0, 0}},  // zero channels on both sides (a shortcut)
    {{2, 3, 4, 5}, {0, 1, 3}, {0, 2, 4}, 1.2f},  // another value (ONNX's constant_pad test)
    {{1, 2, 5, 5}, {1, -1, 0}, {0, 0, 2}, -0.5f},
};

void check_pad(const PadCase& k, uint32_t seed) {
  CAPTURE(k.x.str());
  CAPTURE(fmt::format("begin ({},{},{}) end ({},{},{}) value {}", k.begin[0], k.begin[1], k.begin[2], k.end[0],
                      k.end[1], k.end[2], k.value));
  PadParams p;
  p.begin = k.begin, p.end = k.end, p.value = k.value;
  ref::PadParams rp;
  rp.value = double(k.value);
  for (size_t a = 0; a < 3; ++a) rp.begin[a] = int(k.begin[a]), rp.end[a] = int(k.end[a]);
  const int n = int(k.x[0]), c = int(k.x[1]), h = int(k.x[2]), w = int(k.x[3]);
  const Shape out{n, rp.out(0, c), rp.out(1, h), rp.out(2, w)};
  const auto x = random_floats(size_t(k.x.numel()), seed, -2, 2);
  const auto dy = random_floats(size_t(out.numel()), seed + 1);
  const auto dx0 = random_floats(size_t(k.x.numel()), seed + 2);
  const auto y = ref::pad_forward(rp, n, c, h, w, to_double(x));
  const auto dx = ref::pad_backward(rp, n, c, h, w, to_double(dy));

  // y and dx start non-zero, so the zeros must be written, not left as they were.
  auto tx = make_tensor(k.x, x), ty = make_tensor(out, random_floats(size_t(out.numel()), seed + 3));
  auto tdy = make_tensor(out, dy), tdx = make_tensor(k.x, random_floats(size_t(k.x.numel()), seed + 4));
  auto tdx_acc = make_tensor(k.x, dx0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_pad_forward(cl, p, tx.view(), ty.view()));
    REQUIRE_OK(record_pad_backward(cl, p, tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_pad_backward(cl, p, tdy.view(), tdx_acc.view(), true));
  });
  check_close(ty.read(), y, {0, 0}, "pad y");
  check_close(tdx.read(), dx, {0, 0}, "pad dx");
  check_close(tdx_acc.read(), plus(dx, dx0), {}, "pad dx (accumulate)");
}

PadParams pads(std::array<int64_t, 3> begin, std::array<int64_t, 3> end) {
  PadParams p;
  p.begin = begin, p.end = end;
  return p;
}

}  // namespace

TEST_CASE("pad: a table of tiny, odd, cropped and real layer shapes matches the reference") {
  uint32_t seed = 1;
  for (const PadCase& k : kCases) check_pad(k, seed += 10);
}

TEST_CASE("pad: the graph builder's output shape, and its refusal failing the graph") {
  Graph g;
  TensorId x = g.parameter("x", {1, 2, 5, 5}, Init::constant(0.5f));
  TensorId y = pad(g, x, pads({1, 0, 2}, {0, -1, 1}), "pad");
  REQUIRE(g.status().ok());
  CHECK(g.shape(y) == Shape{1, 3, 4, 8});
  pad(g, x, pads({0, -3, 0}, {0, -2, 0}), "crop_all");
  REQUIRE_FALSE(g.status().ok());
  CHECK_MESSAGE(g.status().error().message.find("axis H") != std::string::npos, g.status().error().message);
}

TEST_CASE("pad: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 2, 5, 5}), y = make_tensor({1, 2, 7, 7}), bad = make_tensor({1, 2, 7, 6});
  auto flat = make_tensor({50});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const PadParams one = pads({0, 1, 1}, {0, 1, 1});
  check_refused(record_pad_forward(*cl, one, x.view(), bad.view()), "pad_forward", {"y", "(1,2,7,6)", "(1,2,7,7)"});
  check_refused(record_pad_forward(*cl, pads({0, 0, -5}, {0, 0, 0}), x.view(), y.view()), "pad_forward",
                {"axis W", "(1,2,5,5)", "0 elements"});
  check_refused(record_pad_forward(*cl, pads({0, int64_t(1) << 40, 0}, {0, 0, 0}), x.view(), y.view()), "pad_forward",
                {"exceed 2^31"});
  check_refused(record_pad_forward(*cl, one, flat.view(), y.view()), "pad_forward", {"(50)"});
  check_refused(record_pad_forward(*cl, pads({}, {}), x.view(), x.view()), "pad_forward", {"overlaps"});
  check_refused(record_pad_backward(*cl, one, bad.view(), x.view(), false), "pad_backward",
                {"dy", "(1,2,7,6)", "(1,2,7,7)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
