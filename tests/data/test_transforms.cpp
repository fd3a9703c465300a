#include "helpers.h"

#include "vknn/data/loader.h"
#include "vknn/data/transforms.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

using namespace vknn;
using namespace vknn::data;
using namespace vknn::data::test;

namespace {
Tensor3 ramp(int c, int h, int w) {  // value = 100c + 10y + x
  Tensor3 t(c, h, w);
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) t.at(ch, y, x) = float(100 * ch + 10 * y + x);
  return t;
}
}  // namespace

TEST_CASE("transforms: bilinear resize of a linear ramp, shorter-side resize, crop and mean") {
  const Tensor3 t = ramp(3, 4, 8);
  // Enlarging: the triangle keeps radius 1, so interior samples of a linear ramp stay linear.
  const Tensor3 up = resize_bilinear(t, 8, 16);
  // output (3, 5) samples the source at ((3 + 0.5) / 2 - 0.5, (5 + 0.5) / 2 - 0.5) = (1.25, 2.25)
  CHECK(up.at(0, 3, 5) == doctest::Approx(10 * 1.25 + 2.25));
  CHECK(up.at(2, 0, 0) == doctest::Approx(200.0));  // one tap at the edge
  const Tensor3 same = resize_bilinear(t, 4, 8);
  CHECK(same.data == t.data);
  // Halving: the triangle widens to radius 2. Output 0 is centred at 1.0 and reads samples
  // 0, 1, 2 at distances 0.5, 0.5, 1.5 (weights 3/4, 3/4, 1/4, normalised by 7/4); output 1
  // is centred at 3.0 and reads 1, 2, 3 at distances 1.5, 0.5, 0.5.
  const double w0 = (0 * 0.75 + 1 * 0.75 + 2 * 0.25) / 1.75, w1 = (1 * 0.25 + 2 * 0.75 + 3 * 0.75) / 1.75;
  const Tensor3 half = resize_bilinear(ramp(1, 4, 4), 2, 2);
  CHECK(half.at(0, 0, 0) == doctest::Approx(10 * w0 + w0));
  CHECK(half.at(0, 1, 1) == doctest::Approx(10 * w1 + w1));
  CHECK(half.at(0, 0, 1) == doctest::Approx(10 * w0 + w1));

  const Tensor3 s = resize_shorter(t, 2);
  CHECK((s.h == 2 && s.w == 4));
  const Tensor3 tall = resize_shorter(ramp(1, 30, 10), 5);
  CHECK((tall.h == 15 && tall.w == 5));

  const Tensor3 cc = center_crop(ramp(3, 6, 8), 4);
  CHECK((cc.h == 4 && cc.w == 4));
  CHECK(cc.at(1, 0, 0) == 100 + 10 * 1 + 2);
  const Tensor3 odd = center_crop(ramp(1, 7, 9), 4);  // margins 3 and 5: 1.5 -> 2, 2.5 -> 2
  CHECK(odd.at(0, 0, 0) == 10 * 2 + 2);
  Tensor3 n = cc;
  const std::vector<float> mean{12, 112, 212}, sd{2, 4, 8};
  normalize(n, mean);
  CHECK(n.at(0, 0, 0) == 0.0f);
  CHECK(n.at(2, 3, 3) == 33.0f);
  n = cc;
  normalize(n, mean, sd);
  CHECK(n.at(2, 3, 3) == doctest::Approx(33.0 / 8));

  // An image through the eval pipeline: 16x8 -> shorter side 4 -> 8x4... -> centre 4x4.
  Image img = pattern(16, 8);
  PreprocessConfig cfg;
  cfg.resize_shorter = 4;
  cfg.crop = 4;
  cfg.mean = {0.5f, 0.5f, 0.5f};
  std::vector<float> out(3 * 16);
  Rng rng(1, 0, 0);
  preprocess(to_tensor(img), cfg, rng, out);
  CHECK(out[32] == doctest::Approx(128.0 / 255 - 0.5));  // blue plane is constant
}

TEST_CASE("transforms: output sizes and crop offsets as torchvision computes them") {
  // Resize(256) truncates the long side: 500x375 -> 341.33 -> 341 (rounding would give 341
  // too); 333x500 -> 384.38 -> 384; 375x499 -> 340.65 -> 340 where rounding gives 341.
  CHECK(resized_shorter_extent(375, 500, 256) == Extent{256, 341});
  CHECK(resized_shorter_extent(500, 333, 256) == Extent{384, 256});
  CHECK(resized_shorter_extent(375, 499, 256) == Extent{256, 340});
  CHECK(resized_shorter_extent(100, 100, 32) == Extent{32, 32});
  CHECK(resized_shorter_extent(3, 10000, 1) == Extent{1, 3333});
  CHECK(resized_shorter_extent(100, 20, 256) == Extent{1280, 256});  // enlarging
  // CenterCrop: round((in - out) / 2) with ties to even (Python's round).
  CHECK(center_crop_offset(256, 224) == 16);
  CHECK(center_crop_offset(257, 224) == 16);  // 16.5 -> 16
  CHECK(center_crop_offset(259, 224) == 18);  // 17.5 -> 18
  CHECK(center_crop_offset(341, 224) == 58);  // 58.5 -> 58
  CHECK(center_crop_offset(343, 224) == 60);  // 59.5 -> 60
  CHECK(center_crop_offset(224, 224) == 0);
}

namespace {
Image noise_image(int w, int h, uint32_t seed) {
  Image img;
  img.width = w, img.height = h;
  img.rgb.resize(size_t(w) * size_t(h) * 3);
  uint32_t s = seed;
  for (auto& b : img.rgb) {
    s = s * 1664525u + 1013904223u;
    b = uint8_t(s >> 24);
  }
  return img;
}
}  // namespace

TEST_CASE("transforms: 8-bit resize is the float filter rounded per pass, and a window equals a crop") {
  for (const auto& size : {std::array{37, 23, 11, 9}, std::array{50, 40, 50, 17}, std::array{13, 19, 40, 31},
                            std::array{64, 64, 64, 64}, std::array{101, 7, 3, 7}}) {
    const int w = size[0], h = size[1], ow = size[2], oh = size[3];
    CAPTURE(w);
    CAPTURE(h);
    CAPTURE(ow);
    CAPTURE(oh);
    const Image img = noise_image(w, h, uint32_t(w * 131 + h));
    const Image r = resize_image(img, oh, ow);
    REQUIRE((r.width == ow && r.height == oh));
    // The float filter runs without rounding between the passes: at most one level apart.
    const Tensor3 f = resize_bilinear(to_tensor(img), oh, ow);
    int worst = 0;
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x)
        for (int c = 0; c < 3; ++c)
          worst = std::max(worst, int(std::abs(double(r.at(y, x, c)) - 255.0 * double(f.at(c, y, x))) + 0.5));
    CHECK(worst <= 1);
    if (w == ow && h == oh) CHECK(r.rgb == img.rgb);
    // Every window equals the same crop of the full result.
    for (const Window win : {Window{0, 0, 1, 1}, Window{oh - 1, ow - 1, 1, 1}, Window{oh / 3, ow / 4, oh - oh / 3, ow / 2 + 1},
                             Window{0, 0, oh, ow}}) {
      const Image part = resize_window(img, oh, ow, win);
      REQUIRE((part.width == win.w && part.height == win.h));
      bool equal = true;
      for (int y = 0; y < win.h; ++y)
        for (int x = 0; x < win.w; ++x)
          for (int c = 0; c < 3; ++c) equal &= part.at(y, x, c) == r.at(win.y + y, win.x + x, c);
      CHECK(equal);
    }
  }
}

TEST_CASE("transforms: the 8-bit and float pipelines crop the same window and draw the same numbers") {
  const Image img = pattern(61, 45);
  for (const bool train : {false, true}) {
    PreprocessConfig cfg;
    cfg.resize_shorter = 20;
    cfg.crop = 16;
    cfg.train = train;
    cfg.mean = {0.5f, 0.4f, 0.3f};
    cfg.stddev = {0.2f, 0.25f, 0.3f};
    cfg.use_pca = true;  // training only
    cfg.pca.eigenvalues = {0.2f, 0.05f, 0.01f};
    cfg.pca.eigenvectors = {{{0.58f, 0.58f, 0.57f}, {-0.7f, 0.0f, 0.7f}, {0.4f, -0.8f, 0.4f}}};
    std::vector<float> a(3 * 16 * 16), b(a.size());
    for (uint64_t i = 0; i < 8; ++i) {
      Rng ra(7, 1, i), rb(7, 1, i);
      preprocess(img, cfg, ra, a);
      preprocess(to_tensor(img), cfg, rb, b);
      float worst = 0;
      for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
      CHECK(worst <= 1.01f / 0.2f / 255);
      CHECK(ra.next_u32() == rb.next_u32());
    }
  }
  // Evaluation: exactly the normalised centre crop of the full 8-bit resize.
  PreprocessConfig ev;
  ev.resize_shorter = 20;
  ev.crop = 15;
  ev.mean = {0.5f, 0.4f, 0.3f};
  ev.stddev = {0.2f, 0.25f, 0.3f};
  std::vector<float> got(3 * 15 * 15);
  Rng rng(1, 0, 0);
  preprocess(img, ev, rng, got);
  const Extent e = resized_shorter_extent(45, 61, 20);
  REQUIRE(e == Extent{20, 27});
  Tensor3 want = crop(to_tensor(resize_image(img, e.h, e.w)), 2, 6, 15, 15);  // offsets 2.5 -> 2, 6
  normalize(want, ev.mean, ev.stddev);
  CHECK(got == want.data);
}

TEST_CASE("transforms: flip and 10-crop") {
  Tensor3 t = ramp(2, 3, 4);
  hflip(t);
  CHECK(t.at(0, 0, 0) == 3.0f);
  CHECK(t.at(1, 2, 3) == 120.0f);
  hflip(t);
  CHECK(t.data == ramp(2, 3, 4).data);

  const auto v = ten_crop(ramp(1, 5, 6), 3);
  REQUIRE(v.size() == 10);
  CHECK(v[0].at(0, 0, 0) == 0.0f);    // top-left
  CHECK(v[1].at(0, 0, 0) == 3.0f);    // top-right
  CHECK(v[2].at(0, 0, 0) == 20.0f);   // bottom-left
  CHECK(v[3].at(0, 2, 2) == 45.0f);   // bottom-right
  CHECK(v[4].at(0, 0, 0) == 12.0f);   // centre: offsets round(1.0) = 1, round(1.5) = 2   // centre at (1, 1)
  CHECK(v[5].at(0, 0, 0) == 2.0f);    // top-left flipped
  CHECK(v[9].at(0, 0, 2) == 12.0f);
}

TEST_CASE("transforms: Jacobi eigen-decomposition and PCA of a synthetic RGB covariance") {
  // C = Q diag(5, 2, 0.5) Q^T with an orthonormal Q.
  const double s = 1 / std::sqrt(2.0), r = 1 / std::sqrt(3.0), q6 = 1 / std::sqrt(6.0);
  const std::array<std::array<double, 3>, 3> Q{{{r, r, r}, {s, -s, 0}, {q6, q6, -2 * q6}}};  // rows = vectors
  const std::array<double, 3> lam{5, 2, 0.5};
  std::array<std::array<double, 3>, 3> cov{};
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 3; ++j)
      for (size_t k = 0; k < 3; ++k) cov[i][j] += Q[k][i] * lam[k] * Q[k][j];
  const Eigen3 e = eigen_symmetric3(cov);
  for (size_t k = 0; k < 3; ++k) {
    CHECK(e.eigenvalues[k] == doctest::Approx(lam[k]).epsilon(1e-9));
    double dot = 0;
    for (size_t i = 0; i < 3; ++i) dot += e.eigenvectors[k][i] * Q[k][i];
    CHECK(std::abs(dot) == doctest::Approx(1.0).epsilon(1e-9));
  }

  // Pixels along a known colour direction: the first principal component is that direction.
  Tensor3 t(3, 1, 200);
  for (int x = 0; x < 200; ++x) {
    const float a = float(x) / 199.0f, b = float((x * 37) % 11) / 50.0f;
    t.at(0, 0, x) = 0.2f + 0.6f * a + 0.1f * b;
    t.at(1, 0, x) = 0.2f + 0.6f * a - 0.1f * b;
    t.at(2, 0, x) = 0.2f + 0.6f * a;
  }
  RgbStatsAccumulator acc;
  acc.add(t);
  const RgbStats st = acc.finish();
  CHECK(st.pixels == 200);
  CHECK(st.mean[2] == doctest::Approx(0.5).epsilon(1e-6));
  const ColorPca pca = ColorPca::from(st);
  CHECK(pca.eigenvectors[0][0] == doctest::Approx(r).epsilon(1e-3));
  CHECK(pca.eigenvectors[0][2] == doctest::Approx(r).epsilon(1e-3));
  CHECK(pca.eigenvalues[0] > 10 * pca.eigenvalues[1]);

  // The lighting shift is sum_i alpha_i lambda_i p_i, the same for every pixel.
  Tensor3 u = t;
  pca_lighting(u, pca, {1.0f, 0.0f, 0.0f});
  for (int c = 0; c < 3; ++c)
    CHECK(u.at(c, 0, 7) - t.at(c, 0, 7) == doctest::Approx(pca.eigenvalues[0] * pca.eigenvectors[0][size_t(c)]));
}

TEST_CASE("transforms: Rng is a pure function of (seed, epoch, index) and roughly uniform/normal") {
  Rng a(42, 3, 17), b(42, 3, 17), c(42, 4, 17);
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    const uint32_t x = a.next_u32();
    CHECK(x == b.next_u32());
    differs |= x != c.next_u32();
  }
  CHECK(differs);
  Rng n(1, 0, 0);
  double sum = 0, sq = 0;
  for (int i = 0; i < 20000; ++i) {
    const double v = n.normal(0, 0.1f);
    sum += v;
    sq += v * v;
  }
  CHECK(std::abs(sum / 20000) < 0.005);
  CHECK(std::sqrt(sq / 20000) == doctest::Approx(0.1).epsilon(0.05));
}

namespace {
std::shared_ptr<Dataset> toy_dataset(int n) {
  auto ds = std::make_shared<Dataset>();
  ds->n = n;
  ds->c = 3;
  ds->h = 6;
  ds->w = 6;
  ds->num_classes = 10;
  for (int i = 0; i < n; ++i) {
    ds->labels.push_back(i % 10);
    for (int k = 0; k < 108; ++k) ds->images.push_back(float(i) + float(k) / 1000.0f);
  }
  return ds;
}

std::vector<Batch> run_epoch(BatchLoader& l, uint64_t epoch) {
  std::vector<Batch> out;
  l.start_epoch(epoch);
  while (auto b = l.next()) out.push_back(std::move(*b));
  return out;
}
}  // namespace

TEST_CASE("loader: loader output is identical with 1 and 3 threads, epochs reshuffle") {
  auto ds = toy_dataset(37);
  BatchLoader::ArrayAugment aug;
  aug.pad = 1;
  aug.crop = 6;
  aug.flip = true;
  LoaderOptions opt;
  opt.batch_size = 8;
  opt.seed = 1234;
  opt.threads = 1;
  auto one = BatchLoader::from_dataset(ds, aug, opt);
  opt.threads = 3;
  opt.prefetch = 2;
  auto three = BatchLoader::from_dataset(ds, aug, opt);
  REQUIRE(one.ok());
  REQUIRE(three.ok());
  CHECK((*one)->batches_per_epoch() == 5);
  for (uint64_t epoch : {0u, 1u}) {
    const auto a = run_epoch(**one, epoch), b = run_epoch(**three, epoch);
    REQUIRE(a.size() == 5);
    REQUIRE(b.size() == 5);
    for (size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].index == int64_t(i));
      CHECK(a[i].labels == b[i].labels);
      CHECK(a[i].sample_indices == b[i].sample_indices);
      CHECK(a[i].images == b[i].images);
      CHECK((a[i].c == 3 && a[i].h == 6 && a[i].w == 6));
    }
    CHECK(a.back().n == 5);  // 37 = 4 * 8 + 5
    std::set<int64_t> seen;
    for (auto& bt : a)
      for (auto s : bt.sample_indices) seen.insert(s);
    CHECK(seen.size() == 37);  // each sample exactly once
  }
  const auto e0 = run_epoch(**one, 0), e1 = run_epoch(**one, 1), e0again = run_epoch(**three, 0);
  CHECK(e0[0].sample_indices != e1[0].sample_indices);
  CHECK(e0[0].images == e0again[0].images);
  // Sample values survive: image i holds i + k/1000 (shifted by the pad/crop, zero where padded).
  const auto& b0 = e0[0];
  const float v = b0.images[size_t(3 * 36 / 2)];  // some pixel of sample 0 of the batch
  CHECK((v == 0.0f || std::floor(v) == float(b0.sample_indices[0])));
}

TEST_CASE("loader: loader abandons an epoch midway and shuts down cleanly") {
  auto ds = toy_dataset(100);
  LoaderOptions opt;
  opt.batch_size = 4;
  opt.threads = 3;
  opt.prefetch = 3;
  auto l = BatchLoader::from_dataset(ds, {}, opt);
  REQUIRE(l.ok());
  (*l)->start_epoch(0);
  auto first = (*l)->next();
  REQUIRE(first.has_value());
  (*l)->start_epoch(5);  // restart while workers are busy
  auto e5 = (*l)->next();
  REQUIRE(e5.has_value());
  CHECK(e5->epoch == 5);
  CHECK(e5->index == 0);
  const auto order5 = BatchLoader::epoch_order(100, 0, 5, true);
  CHECK(e5->sample_indices == std::vector<int64_t>(order5.begin(), order5.begin() + 4));
  l->reset();  // destructor with batches in flight and a full queue
  CHECK(!BatchLoader::from_dataset(ds, {}, LoaderOptions{.batch_size = 0}).ok());
}

TEST_CASE("loader: image-folder loader decodes, preprocesses, replaces unreadable files deterministically") {
  TempDir dir("loader-folder");
  namespace fs = std::filesystem;
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  for (int i = 0; i < 5; ++i) write(dir / fmt::format("a/{}.jpg", i), encode_jpeg(pattern(20 + i, 16)).value());
  for (int i = 0; i < 4; ++i) write(dir / fmt::format("b/{}.png", i), encode_png(pattern(16, 18 + i)).value());
  write(dir / "a/9-broken.jpg", {0xFF, 0xD8, 0xFF, 0x00, 0x01});  // right magic, corrupt stream
  auto folder = scan_image_folder(dir.path, Verify::header, 0.5);  // these tiny classes allow a broken file
  REQUIRE(folder.ok());
  REQUIRE(folder->size() == 10);
  auto shared = std::make_shared<const ImageFolder>(std::move(*folder));
  PreprocessConfig cfg;
  cfg.train = true;
  cfg.resize_shorter = 14;
  cfg.crop = 12;
  cfg.use_pca = true;
  cfg.pca.eigenvalues = {0.1f, 0.01f, 0.001f};
  cfg.pca.eigenvectors = {{{0.58f, 0.58f, 0.58f}, {0.71f, -0.71f, 0.0f}, {0.41f, 0.41f, -0.82f}}};
  cfg.mean = {0.5f, 0.5f, 0.5f};
  std::vector<std::vector<Batch>> runs;
  for (int threads : {1, 3}) {
    LoaderOptions opt;
    opt.batch_size = 3;
    opt.threads = threads;
    opt.seed = 9;
    opt.max_unreadable = 0.5;
    auto l = BatchLoader::from_image_folder(shared, cfg, opt);
    REQUIRE_MESSAGE(l.ok(), l.error().message);
    runs.push_back(run_epoch(**l, 2));
    CHECK((*l)->failed_samples() == 1);
    CHECK((*l)->last_failure().find("9-broken.jpg") != std::string::npos);
  }
  REQUIRE(runs[0].size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(runs[0][i].images == runs[1][i].images);
    CHECK(runs[0][i].labels == runs[1][i].labels);
    CHECK((runs[0][i].c == 3 && runs[0][i].h == 12 && runs[0][i].w == 12));
  }
  // 10-crop evaluation: 10 views per sample, labels repeated.
  PreprocessConfig ev;
  ev.resize_shorter = 14;
  ev.crop = 12;
  ev.ten_crop = true;
  LoaderOptions opt;
  opt.batch_size = 2;
  opt.shuffle = false;
  opt.max_unreadable = 0.5;
  auto l = BatchLoader::from_image_folder(shared, ev, opt);
  REQUIRE(l.ok());
  (*l)->start_epoch(0);
  auto b = (*l)->next();
  REQUIRE(b.has_value());
  CHECK(b->n == 20);
  CHECK(b->labels == std::vector<int32_t>(20, 0));
  CHECK(b->images.size() == size_t(20 * 3 * 12 * 12));
}

TEST_CASE("loader: a class with too many undecodable images stops the loader with an error, never zero tensors") {
  // The header check passes these (JPEG magic), so only decoding finds them. Before, every
  // sample of a folder that does not decode was a tensor of zeros and training "worked".
  TempDir dir("loader-undecodable");
  std::filesystem::create_directories(dir / "a");
  std::filesystem::create_directories(dir / "b");
  for (const char* cls : {"a", "b"})
    for (int i = 0; i < 4; ++i) write(dir / fmt::format("{}/{}.jpg", cls, i), {0xFF, 0xD8, 0xFF, 0x00, 0x01, 0x02});
  write(dir / "b/ok.png", encode_png(pattern(16, 16)).value());
  auto folder = scan_image_folder(dir.path, Verify::header);
  REQUIRE_MESSAGE(folder.ok(), folder.error().message);
  auto shared = std::make_shared<const ImageFolder>(std::move(*folder));
  PreprocessConfig cfg;
  cfg.crop = 12;
  cfg.resize_shorter = 12;
  for (int threads : {1, 3}) {
    LoaderOptions opt;
    opt.batch_size = 2;
    opt.threads = threads;
    auto l = BatchLoader::from_image_folder(shared, cfg, opt);
    REQUIRE(l.ok());
    CHECK((*l)->status().ok());
    const auto batches = run_epoch(**l, 0);
    CHECK(batches.size() < 5);  // stopped early
    for (const auto& b : batches) {  // never a sample of zeros
      const size_t per = b.images.size() / size_t(b.n);
      for (size_t i = 0; i < size_t(b.n); ++i)
        CHECK(std::any_of(b.images.begin() + std::ptrdiff_t(i * per), b.images.begin() + std::ptrdiff_t((i + 1) * per),
                          [](float v) { return v != 0.0f; }));
    }
    const Status s = (*l)->status();
    REQUIRE(!s.ok());
    CHECK_MESSAGE(s.error().message.find("samples of class") != std::string::npos, s.error().message);
    CHECK_MESSAGE(s.error().message.find(".jpg") != std::string::npos, s.error().message);  // a failing file
    CHECK(!(*l)->next().has_value());  // sticky, also for a new epoch
    (*l)->start_epoch(1);
    CHECK(!(*l)->next().has_value());
  }
  {  // Allowed to fail entirely, still no zeros: an error once no sample loads.
    std::filesystem::remove(dir / "b/ok.png");
    auto f2 = scan_image_folder(dir.path, Verify::header);
    REQUIRE(f2.ok());
    LoaderOptions opt;
    opt.batch_size = 2;
    opt.max_unreadable = 1.0;
    auto l = BatchLoader::from_image_folder(std::make_shared<const ImageFolder>(std::move(*f2)), cfg, opt);
    REQUIRE(l.ok());
    CHECK(run_epoch(**l, 0).empty());
    REQUIRE(!(*l)->status().ok());
    CHECK((*l)->status().error().message.find("no sample of the 8 loads") != std::string::npos);
  }
  // Below the threshold a failure is replaced and counted, and the loader carries on.
  LoaderOptions lenient;
  lenient.batch_size = 2;
  lenient.max_unreadable = 0.9;
  write(dir / "a/ok.png", encode_png(pattern(16, 16)).value());
  write(dir / "b/ok.png", encode_png(pattern(16, 16)).value());
  auto f3 = scan_image_folder(dir.path, Verify::header);
  REQUIRE(f3.ok());
  auto l = BatchLoader::from_image_folder(std::make_shared<const ImageFolder>(std::move(*f3)), cfg, lenient);
  REQUIRE(l.ok());
  CHECK(run_epoch(**l, 0).size() == 5);
  CHECK((*l)->status().ok());
  CHECK((*l)->failed_samples() >= 8);  // attempts: a replacement may fail too
}
