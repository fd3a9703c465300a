#include "helpers.h"

#include "vknn/data/image.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <random>

using namespace vknn;
using namespace vknn::data;
using namespace vknn::data::test;

TEST_CASE("image: JPEG and PNG decode of written images") {
  const Image src = pattern(40, 24);
  auto jpg = encode_jpeg(src, 95);
  auto png = encode_png(src);
  REQUIRE(jpg.ok());
  REQUIRE(png.ok());
  auto dj = decode_image(*jpg, "mem.jpg");
  auto dp = decode_image(*png, "mem.png");
  REQUIRE_MESSAGE(dj.ok(), dj.error().message);
  REQUIRE_MESSAGE(dp.ok(), dp.error().message);
  CHECK((dj->width == 40 && dj->height == 24));
  CHECK(dp->rgb == src.rgb);  // PNG is lossless
  int worst = 0;
  for (size_t i = 0; i < src.rgb.size(); ++i) worst = std::max(worst, std::abs(int(dj->rgb[i]) - int(src.rgb[i])));
  CHECK(worst <= 12);  // quality 95, smooth gradient
  for (auto [x, y] : {std::pair{0, 0}, std::pair{39, 0}, std::pair{20, 12}, std::pair{39, 23}})
    for (int c = 0; c < 3; ++c) CHECK(std::abs(int(dj->at(y, x, c)) - int(src.at(y, x, c))) <= 8);
}

TEST_CASE("image: greyscale JPEG and PNG expand to 3 equal channels") {
  const Image src = pattern(16, 16);
  for (bool jpeg : {true, false}) {
    auto bytes = jpeg ? encode_jpeg(src, 95, /*grey=*/true) : encode_png(src, /*grey=*/true);
    REQUIRE(bytes.ok());
    auto img = decode_image(*bytes, "grey");
    REQUIRE_MESSAGE(img.ok(), img.error().message);
    REQUIRE(img->rgb.size() == 16 * 16 * 3);
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) {
        CHECK(img->at(y, x, 0) == img->at(y, x, 1));
        CHECK(img->at(y, x, 1) == img->at(y, x, 2));
        CHECK(std::abs(int(img->at(y, x, 0)) - int(src.at(y, x, 0))) <= (jpeg ? 8 : 0));
      }
  }
}

TEST_CASE("folder: image folder: sorted classes, corrupt JPEG skipped and counted, empty class reported") {
  TempDir dir("folder");
  namespace fs = std::filesystem;
  for (auto c : {"cat", "dog", "ant", "empty"}) fs::create_directories(dir / c);
  const Image src = pattern(8, 8);
  auto jpg = encode_jpeg(src).value();
  auto png = encode_png(src).value();
  write(dir / "cat/b.jpg", jpg);
  write(dir / "cat/a.PNG", png);
  write(dir / "dog/x.jpeg", jpg);
  write(dir / "dog/notes.txt", {'h', 'i'});
  write(dir / "ant/1.png", png);
  // Corrupt: garbage with a .jpg name, and a JPEG cut in its entropy-coded data.
  write(dir / "dog/garbage.jpg", {'n', 'o', 't', 'j', 'p', 'e', 'g'});
  write(dir / "ant/cut.jpg", std::vector<uint8_t>(jpg.begin(), jpg.begin() + 200));

  // Half of a class may be unreadable here (the default, 1%, would refuse these tiny classes).
  auto f = scan_image_folder(dir.path, Verify::full, 0.5);
  REQUIRE_MESSAGE(f.ok(), f.error().message);
  CHECK(f->classes == std::vector<std::string>{"ant", "cat", "dog", "empty"});
  REQUIRE(f->files.size() == 4);
  CHECK(f->files[0].filename() == "1.png");
  CHECK(f->files[1].filename() == "a.PNG");
  CHECK(f->files[2].filename() == "b.jpg");
  CHECK(f->files[3].filename() == "x.jpeg");
  CHECK(f->labels == std::vector<int32_t>{0, 1, 1, 2});
  CHECK(f->report.empty_classes == 1);
  // garbage.jpg fails on its magic; cut.jpg fails when decoded (libjpeg: premature end of data
  // is only a warning, so the cut is placed inside the headers).
  CHECK(f->report.skipped_images == 2);
  CHECK(f->report.warnings.size() == 5);  // 2 files, 2 per-class counts, 1 empty class

  auto h = scan_image_folder(dir.path, Verify::header, 0.5);  // header check: only the garbage is caught
  REQUIRE(h.ok());
  CHECK(h->report.skipped_images == 1);
  CHECK(h->files.size() == 5);

  // A corrupt image given straight to the decoder is an error, not an exit.
  auto bad = load_image(dir / "dog/garbage.jpg");
  REQUIRE(!bad.ok());
  CHECK(bad.error().message.find("garbage.jpg") != std::string::npos);
  std::vector<uint8_t> badjpg = jpg;
  badjpg[3] ^= 0xFF;  // breaks the first marker segment
  auto bj = decode_jpeg(badjpg, "broken.jpg");
  CHECK(!bj.ok());
}

TEST_CASE("folder: image folder where every class is empty is an error") {
  TempDir dir("empty");
  std::filesystem::create_directories(dir / "a");
  std::filesystem::create_directories(dir / "b");
  auto f = scan_image_folder(dir.path);
  REQUIRE(!f.ok());
  CHECK(f.error().code == Errc::invalid_argument);
  CHECK(f.error().message.find("all 2 class folders are empty") != std::string::npos);
  auto none = scan_image_folder(dir / "does-not-exist");
  REQUIRE(!none.ok());
  CHECK(none.error().code == Errc::io);
}

TEST_CASE("folder: more than 1% of a class unreadable refuses the folder, naming the class, counts and a file") {
  // A folder whose images mostly fail must not become a dataset of a few images (or, in the
  // loader, of zero tensors); a stray broken file is skipped with a warning.
  TempDir dir("unreadable");
  namespace fs = std::filesystem;
  const auto png = encode_png(pattern(8, 8)).value();
  fs::create_directories(dir / "good");
  fs::create_directories(dir / "cat");
  for (int i = 0; i < 100; ++i) {
    write(dir / fmt::format("good/{:03}.png", i), png);
    write(dir / fmt::format("cat/{:03}.png", i), png);
  }
  write(dir / "cat/zz-broken-1.jpg", {'n', 'o', 't', 'j', 'p', 'e', 'g'});
  auto one = scan_image_folder(dir.path);  // 1 of 101: below 1%, skipped
  REQUIRE_MESSAGE(one.ok(), one.error().message);
  CHECK(one->size() == 200);
  CHECK(one->report.skipped_images == 1);
  bool counted = false;
  for (const auto& w : one->report.warnings) counted |= w.find("skipped 1 of the 101 images of class 'cat'") != std::string::npos;
  CHECK(counted);

  write(dir / "cat/zz-broken-2.jpg", {'n', 'o', 't', 'j', 'p', 'e', 'g'});
  auto two = scan_image_folder(dir.path);  // 2 of 102: above 1%
  REQUIRE(!two.ok());
  const std::string m = two.error().message;
  CHECK_MESSAGE(m.find((dir / "cat").string()) != std::string::npos, m);
  CHECK_MESSAGE(m.find("2 of the 102 images of class 'cat' are unreadable") != std::string::npos, m);
  CHECK_MESSAGE(m.find("zz-broken-1.jpg: neither a JPEG nor a PNG") != std::string::npos, m);
  CHECK(scan_image_folder(dir.path, Verify::header, 0.02).ok());  // the threshold is an option

  fs::remove_all(dir / "good");
  auto single = scan_image_folder(dir.path, Verify::header, 1.0);
  REQUIRE(!single.ok());
  CHECK(single.error().message.find("only one class folder ('cat')") != std::string::npos);
}

TEST_CASE("fuzz: mutated JPEGs and PNGs never crash the decoders (deterministic fuzz)") {
  const Image src = pattern(24, 16);
  const auto jpg = encode_jpeg(src, 90).value();
  const auto png = encode_png(src).value();
  std::mt19937 rng(5);
  int jpeg_ok = 0, png_ok = 0;
  for (int iter = 0; iter < 400; ++iter) {
    for (int which = 0; which < 2; ++which) {
      auto b = which == 0 ? jpg : png;
      const int edits = 1 + int(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        switch (rng() % 4) {
          case 0: b[rng() % b.size()] = uint8_t(rng()); break;
          case 1: b.resize(1 + rng() % b.size()); break;
          case 2: b[rng() % std::min<size_t>(b.size(), 64)] ^= uint8_t(1u << (rng() % 8)); break;  // headers
          case 3: b.insert(b.begin() + std::ptrdiff_t(rng() % b.size()), uint8_t(rng())); break;
        }
      }
      auto img = decode_image(b, "fuzz");
      if (img.ok()) {
        (which == 0 ? jpeg_ok : png_ok)++;
        CHECK(img->rgb.size() == size_t(img->width) * size_t(img->height) * 3);
      }
    }
  }
  MESSAGE("decoded after mutation: jpeg " << jpeg_ok << ", png " << png_ok << " of 400");
}
