// The autotuner on conv2d's forward (vknn/engine/tuning.h): whatever it chooses computes the
// reference; its choices are stored in the tuning file and read back by the next Context; a file
// of another device is ignored; VKNN_TUNE=off keeps the profile's choice and writes nothing. Each
// case makes its own Context with a fresh cache folder, so the candidates are really timed.
// Nothing here asserts which variant is fastest.
#include "gpu.h"
#include "reference/conv2d.h"
#include "vknn/engine/file.h"
#include "vknn/engine/memory.h"
#include "vknn/ops/conv2d.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>
#include <unistd.h>

using namespace vknn;
using namespace vknn::test;
namespace fs = std::filesystem;

namespace {

struct TuneDir {
  fs::path path = fs::temp_directory_path() / fmt::format("vknn-conv-tune-{}", ::getpid());
  TuneDir() { fs::remove_all(path); }
  ~TuneDir() { fs::remove_all(path); }
};

// A Context whose cache folder is `dir`, made with the tuner's variables as given (VKNN_TUNE) and
// no variant forced (these cases run in the suite's runs with VKNN_CONV=shared too); the process
// environment is restored after.
std::shared_ptr<Context> context_in(const fs::path& dir, const char* tune = nullptr) {
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  for (const char* v : {"VKNN_TUNE", "VKNN_CONV", "VKNN_CONV1X1"}) {
    const char* old = std::getenv(v);
    saved.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
    ::unsetenv(v);
  }
  if (tune) ::setenv("VKNN_TUNE", tune, 1);
  ContextOptions opt;
  opt.validation = true;
  opt.pipeline_cache_dir = dir.string();
  auto ctx = Context::create(opt);
  for (const auto& [v, old] : saved)
    if (old) ::setenv(v.c_str(), old->c_str(), 1); else ::unsetenv(v.c_str());
  REQUIRE_OK(ctx);
  return *ctx;
}

struct TuneCase {
  ref::Conv2dShape s;
  bool bias, relu;
  Conv2dParams params() const { return {s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.groups, relu}; }
  Shape x() const { return {s.n, s.c, s.h, s.w}; }
  Shape w() const { return {s.k, s.c / s.groups, s.r, s.s}; }
};

// A 1x1 stride-1 layer (three candidates: GEMM, register, shared), a padded 3x3 (register, shared
// and Winograd F(2,3), F(4,3)) and a strided one.
const TuneCase kCases[] = {
    {{2, 16, 7, 9, 24, 1, 1}, true, true},
    {{1, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1}, true, false},
    {{2, 6, 10, 9, 8, 3, 3, 2, 2, 1, 1}, false, true},
};

Buffer upload(Context& ctx, const std::vector<float>& v) {
  auto b = Buffer::create(ctx, std::max<size_t>(4, v.size() * 4));
  REQUIRE_OK(b);
  REQUIRE_OK(ctx.upload(b->ref(), v.data(), v.size() * 4));
  return std::move(b).value();
}

// Runs the forward on `ctx` (tuning as it goes) and compares with the reference; returns its choice.
std::string check_forward(Context& ctx, const TuneCase& c, uint32_t seed) {
  const ref::Conv2dShape& s = c.s;
  CAPTURE(c.x().str());
  CAPTURE(c.w().str());
  auto choice = conv2d_forward_choice(ctx, c.params(), c.x(), c.w(), c.bias);
  REQUIRE_OK(choice);
  const bool winograd = *choice == "winograd_f2" || *choice == "winograd_f4";
  CHECK((*choice == "register" || *choice == "shared" || *choice == "gemm" || winograd));
  if (*choice == "gemm") CHECK((s.r == 1 && s.s == 1 && s.stride_h == 1));
  if (winograd) CHECK((s.r == 3 && s.s == 3 && s.stride_h == 1 && s.stride_w == 1));
  // The forward gets the workspace the choice assumed (Winograd's scratch).
  auto workspace_bytes = conv2d_forward_workspace_bytes(ctx, c.params(), c.x(), c.w(), c.bias);
  REQUIRE_OK(workspace_bytes);
  Buffer ws = upload(ctx, std::vector<float>(size_t(*workspace_bytes / 4), 0.0f));
  const auto xv = random_floats(s.x_size(), seed), wv = random_floats(s.w_size(), seed + 1),
             bv = random_floats(size_t(s.k), seed + 2);
  Buffer xb = upload(ctx, xv), wb = upload(ctx, wv), bb = upload(ctx, bv),
         yb = upload(ctx, std::vector<float>(s.y_size(), 0.0f));
  const Shape ys{s.n, s.k, s.oh(), s.ow()}, bs{s.k};
  const TensorView x{xb.ref(), c.x()}, w{wb.ref(), c.w()}, b{bb.ref(0, bs.bytes()), bs}, y{yb.ref(), ys};
  auto cl = CommandList::create(ctx);
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  REQUIRE_OK(record_conv2d_forward(*cl, c.params(), x, w, c.bias ? &b : nullptr, y, nullptr, ws.ref()));
  REQUIRE_OK(cl->end());
  REQUIRE_OK(cl->run());
  std::vector<float> got(s.y_size());
  REQUIRE_OK(ctx.download(yb.ref(), got.data(), got.size() * 4));
  auto want = ref::conv2d_forward(s, to_double(xv), to_double(wv), c.bias ? to_double(bv) : ref::Vec{});
  if (c.relu)
    for (double& v : want) v = std::max(v, 0.0);
  // Winograd's transforms round more than the direct sums (graph/cases/ops/conv2d.cpp's
  // forward_tolerance); these sums of at most 45 products stay well inside 1e-4.
  check_close(got, want, winograd ? Tolerance{1e-4, 1e-4} : Tolerance{}, "conv2d forward (" + *choice + ")");
  return *choice;
}

}  // namespace

TEST_CASE("conv2d tuning: the chosen variants compute the reference, are stored, and a new Context reuses them") {
  TuneDir dir;
  std::vector<std::string> first;
  {
    auto ctx = context_in(dir.path);
    REQUIRE(ctx->profile().tune);
    for (size_t i = 0; i < std::size(kCases); ++i) first.push_back(check_forward(*ctx, kCases[i], 10 + uint32_t(i)));
    REQUIRE(ctx->profile().tuned);
    CHECK(ctx->profile().tuned->size() == std::size(kCases));
    CHECK(fs::exists(ctx->profile().tuned->path()));
  }
  // The next Context reads the file: the same choices, and the reference again.
  auto ctx = context_in(dir.path);
  CHECK(ctx->profile().warnings.empty());
  for (size_t i = 0; i < std::size(kCases); ++i) CHECK(check_forward(*ctx, kCases[i], 20 + uint32_t(i)) == first[i]);
  CHECK(ctx->profile().tuned->size() == std::size(kCases));
}

TEST_CASE("conv2d tuning: a stored choice is followed, and one naming no candidate is timed again") {
  TuneDir dir;
  fs::path file;
  {
    auto ctx = context_in(dir.path);
    for (size_t i = 0; i < std::size(kCases); ++i) check_forward(*ctx, kCases[i], 30 + uint32_t(i));
    file = ctx->profile().tuned->path();
  }
  // Rewrite every choice: "shared" (a candidate everywhere) for the first two, nonsense for the third.
  auto bytes = read_file_bytes(file);
  REQUIRE_OK(bytes);
  auto ctx = context_in(dir.path);
  const TuneIdentity id = TuneIdentity::of(ctx->caps());
  auto choices = TuneTable::parse({reinterpret_cast<const char*>(bytes->data()), bytes->size()}, id);
  REQUIRE_OK(choices);
  REQUIRE(choices->size() == std::size(kCases));
  std::vector<std::string> keys;
  for (auto& [k, v] : *choices) keys.push_back(k);
  const std::string strided_key = keys[0].find("stride (2,2)") != std::string::npos ? keys[0]
                                  : keys[1].find("stride (2,2)") != std::string::npos ? keys[1] : keys[2];
  for (auto& [k, v] : *choices) v = k == strided_key ? "no-such-kernel" : "shared";
  const std::string text = TuneTable::serialize(*choices, id);
  REQUIRE_OK(write_file_atomic(file, {reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
  auto ctx2 = context_in(dir.path);
  for (size_t i = 0; i < std::size(kCases); ++i) {
    const std::string got = check_forward(*ctx2, kCases[i], 40 + uint32_t(i));
    if (kCases[i].s.stride_h == 1) CHECK(got == "shared");
  }
  CHECK(ctx2->profile().tuned->find(strided_key) != "no-such-kernel");  // timed again and replaced
}

TEST_CASE("conv2d tuning: a file of another device is ignored with a warning and replaced") {
  TuneDir dir;
  fs::path file;
  {
    auto ctx = context_in(dir.path);
    check_forward(*ctx, kCases[0], 50);
    file = ctx->profile().tuned->path();
  }
  const std::string foreign = TuneTable::serialize({{"k", "shared"}}, {"0123456789abcdef0123456789abcdef", 1, "x"});
  REQUIRE_OK(write_file_atomic(file, {reinterpret_cast<const uint8_t*>(foreign.data()), foreign.size()}));
  auto ctx = context_in(dir.path);
  REQUIRE(ctx->profile().warnings.size() == 1);
  CHECK(ctx->profile().warnings[0].find("device UUID 0123456789abcdef0123456789abcdef") != std::string::npos);
  CHECK(ctx->profile().tuned->size() == 0);
  check_forward(*ctx, kCases[0], 51);
  CHECK(ctx->profile().tuned->size() == 1);
}

TEST_CASE("conv2d tuning: VKNN_TUNE=off keeps the profile's variant and writes no file") {
  TuneDir dir;
  auto ctx = context_in(dir.path, "off");
  CHECK(!ctx->profile().tune);
  CHECK(ctx->profile().tuner() == nullptr);
  const std::string fixed = resolve_conv2d_variant(ctx->profile(), Conv2dVariant::automatic) ==
                                    Conv2dVariant::register_blocked ? "register" : "shared";
  for (size_t i = 0; i < std::size(kCases); ++i) {
    const std::string got = check_forward(*ctx, kCases[i], 60 + uint32_t(i));
    CHECK(got == (ctx->profile().conv_1x1_gemm && kCases[i].s.r == 1 ? "gemm" : fixed));
  }
  CHECK(!fs::exists(tune_file_path(dir.path.string(), ctx->caps())));
}
