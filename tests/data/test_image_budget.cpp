// Decompression bombs and absurd shapes: the size a header declares is checked against the
// budgets of image.h before anything is decoded, and large JPEGs decode scaled down only
// when the resize that follows reduces them 8x or more. The bomb files are made here: a small
// image whose header is rewritten to claim 16000x16000 (or 100000x1).
#include "helpers.h"

#include "vknn/data/image.h"
#include "vknn/data/transforms.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdlib>

using namespace vknn;
using namespace vknn::data;
using namespace vknn::data::test;

namespace {

bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

// A baseline JPEG of a small image with its SOF0 frame size rewritten: the entropy-coded data
// is that of the small image, far too short for the declared one.
std::vector<uint8_t> jpeg_claiming(int width, int height) {
  std::vector<uint8_t> b = encode_jpeg(pattern(16, 16), 75).value();
  for (size_t i = 2; i + 9 < b.size(); ++i)
    if (b[i] == 0xFF && b[i + 1] == 0xC0) {  // SOF0: FF C0, length(2), precision(1), height(2), width(2)
      b[i + 5] = uint8_t(height >> 8), b[i + 6] = uint8_t(height);
      b[i + 7] = uint8_t(width >> 8), b[i + 8] = uint8_t(width);
      return b;
    }
  FAIL("no SOF0 marker in the encoded JPEG");
  return {};
}

// A PNG of a small image whose IHDR claims width x height (with a correct CRC, so libpng
// reads the header and the IDAT data is what runs short).
std::vector<uint8_t> png_claiming(uint32_t width, uint32_t height) {
  std::vector<uint8_t> b = encode_png(pattern(4, 4)).value();
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), ..., CRC over type + data.
  REQUIRE(std::string(b.begin() + 12, b.begin() + 16) == "IHDR");
  for (int k = 0; k < 4; ++k) {
    b[size_t(16 + k)] = uint8_t(width >> (24 - 8 * k));
    b[size_t(20 + k)] = uint8_t(height >> (24 - 8 * k));
  }
  const uint32_t crc = uint32_t(crc32(crc32(0, nullptr, 0), b.data() + 12, 17));
  for (int k = 0; k < 4; ++k) b[size_t(29 + k)] = uint8_t(crc >> (24 - 8 * k));
  return b;
}

int max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  int worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, int(std::lround(std::abs(a[i] - b[i]) * 255.0f)));
  return worst;
}

}  // namespace

TEST_CASE("image budget: a small JPEG declaring 16000x16000 is refused at once, with or without a resize target") {
  const auto bomb = jpeg_claiming(16000, 16000);
  MESSAGE("JPEG bomb: " << bomb.size() << " bytes");
  CHECK(bomb.size() < 1024);
  // At full size it is over the pixel budget: refused from the header.
  auto full = decode_image(bomb, "bomb.jpg");
  REQUIRE(!full.ok());
  CHECK(full.error().code == Errc::parse);
  CHECK(full.error().message == fmt::format("bomb.jpg: JPEG of 16000x16000 exceeds the budget of {} pixels", kMaxImagePixels));
  // With a resize of the shorter side to 256 it would decode at 1/8 (2000x2000), and its data
  // ends long before: a truncated JPEG is an error, as for PIL, not an image of grey.
  CHECK(jpeg_scale_denominator(16000, 16000, {256}) == 8);
  auto scaled = decode_image(bomb, "bomb.jpg", {256});
  REQUIRE(!scaled.ok());
  CHECK(scaled.error().message == "bomb.jpg: corrupt or unsupported JPEG: the data ends early (truncated file)");
  // A resize target too large for any scale that fits the budget.
  auto big_target = decode_image(bomb, "bomb.jpg", {9000});
  REQUIRE(!big_target.ok());
  CHECK(contains(big_target.error().message, "at every scale that keeps its shorter side at least 9000"));
}

TEST_CASE("image budget: a small PNG declaring 16000x16000 is refused from its header") {
  const auto bomb = png_claiming(16000, 16000);
  MESSAGE("PNG bomb: " << bomb.size() << " bytes");
  CHECK(bomb.size() < 1024);
  auto r = decode_image(bomb, "bomb.png");
  REQUIRE(!r.ok());
  CHECK(r.error().code == Errc::parse);
  CHECK(r.error().message == fmt::format("bomb.png: PNG of 16000x16000 exceeds the budget of {} pixels", kMaxImagePixels));
  // Within the pixel budget, the deflate bound still catches it: 4096x4096 needs at least
  // 4096 * (1 + 512) bytes of rows, which a file of under 1 KB cannot inflate to.
  auto r2 = decode_image(png_claiming(4096, 4096), "bomb2.png");
  REQUIRE(!r2.ok());
  CHECK(contains(r2.error().message, "bomb2.png: PNG of 4096x4096 needs at least 2101248 bytes of rows"));
  CHECK(contains(r2.error().message, "decompression bomb"));
}

TEST_CASE("image budget: absurd aspect ratios are refused, naming the file and its size") {
  // 100000x1: resizing the shorter side to 256 asked for 78 GB (std::bad_alloc, exit 134).
  const Image strip = pattern(100000, 1);
  auto png = encode_png(strip).value();
  auto r = decode_image(png, "strip.png");
  REQUIRE(!r.ok());
  CHECK(r.error().message == fmt::format("strip.png: PNG of 100000x1 has an aspect ratio beyond {}:1 (a resize of its "
                                         "shorter side would be enormous)", kMaxAspectRatio));
  auto tall = decode_image(jpeg_claiming(16, 16 * (kMaxAspectRatio + 1)), "tall.jpg");
  REQUIRE(!tall.ok());
  CHECK(contains(tall.error().message, fmt::format("tall.jpg: JPEG of 16x{} has an aspect ratio", 16 * (kMaxAspectRatio + 1))));
  // The limit itself is accepted.
  auto edge = decode_image(encode_png(pattern(int(kMaxAspectRatio) * 2, 2)).value(), "edge.png");
  CHECK_MESSAGE(edge.ok(), edge.error().message);
}

TEST_CASE("image budget: the JPEG scale is 1 unless the resize reduces 8x or more") {
  CHECK(jpeg_scale_denominator(500, 375, {}) == 1);
  CHECK(jpeg_scale_denominator(500, 375, {256}) == 1);
  CHECK(jpeg_scale_denominator(4000, 2046, {256}) == 1);  // 2046 / 2 < 4 * 256
  CHECK(jpeg_scale_denominator(4000, 2048, {256}) == 2);
  CHECK(jpeg_scale_denominator(6000, 4000, {256}) == 2);
  CHECK(jpeg_scale_denominator(12000, 9000, {256}) == 8);
  CHECK(jpeg_scale_denominator(12000, 9000, {}) == 0);      // 108 MP at full size: over budget
  CHECK(jpeg_scale_denominator(12000, 9000, {2000}) == 2);  // scaled only to fit the budget
  CHECK(jpeg_scale_denominator(12000, 9000, {8000}) == 0);  // 1/2 would go below the target
  CHECK(jpeg_scale_denominator(8192, 8192, {}) == 1);       // exactly the budget
  CHECK(jpeg_scale_denominator(0, 5, {}) == 0);
  CHECK(jpeg_scale_denominator(65, 1, {}) == 0);
}

TEST_CASE("image budget: decoding with a resize target is unchanged where no scaling applies, close where it does") {
  PreprocessConfig cfg;
  cfg.resize_shorter = 256;
  cfg.crop = 224;
  // No scaling: byte-identical decode, so torchvision equality (tests/data/torchvision) holds.
  const auto small = encode_jpeg(pattern(500, 375), 90).value();
  auto a = decode_image(small, "small.jpg"), b = decode_image(small, "small.jpg", {256});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->rgb == b->rgb);
  // 2400x2048 at 1/2: the resize to 256 that follows sees 1200x1024 and the result stays
  // within a few levels of the full decode (it is no longer PIL's).
  const auto large = encode_jpeg(pattern(2400, 2048), 90).value();
  auto full = decode_image(large, "large.jpg"), half = decode_image(large, "large.jpg", {256});
  REQUIRE(full.ok());
  REQUIRE(half.ok());
  CHECK((half->width == 1200 && half->height == 1024));
  std::vector<float> x(3 * 224 * 224), y(x.size());
  Rng r1(0, 0, 0), r2(0, 0, 0);
  preprocess(*full, cfg, r1, x);
  preprocess(*half, cfg, r2, y);
  const int worst = max_difference(x, y);
  MESSAGE("largest difference, scaled decode vs full decode, after resize to 256 and crop 224: " << worst << "/255");
  CHECK(worst <= 3);
}
