#include "helpers.h"

#include "vknn/data/datasets.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <random>

using namespace vknn;
using namespace vknn::data;
using namespace vknn::data::test;

namespace {
bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }
}  // namespace

TEST_CASE("idx: IDX round trip, plain and gzipped") {
  TempDir dir("idx");
  const auto im = idx_images(5, 4, 3), lb = idx_labels(5);
  write(dir / "im", im);
  write(dir / "lb", lb);
  write(dir / "im.gz", gzip(im));
  write(dir / "lb.gz", gzip(lb));
  for (auto [ip, lp] : {std::pair{"im", "lb"}, std::pair{"im.gz", "lb.gz"}, std::pair{"im.gz", "lb"}}) {
    auto ds = load_idx(dir / ip, dir / lp);
    REQUIRE_MESSAGE(ds.ok(), ds.error().message);
    CHECK(ds->n == 5);
    CHECK(ds->c == 1);
    CHECK(ds->h == 4);
    CHECK(ds->w == 3);
    REQUIRE(ds->images.size() == 60);
    for (size_t i = 0; i < 60; ++i) CHECK(ds->images[i] == doctest::Approx(float(im[16 + i]) / 255.0f));
    CHECK(ds->labels == std::vector<int32_t>{0, 1, 2, 3, 4});
    CHECK(ds->num_classes == 5);
  }
}

TEST_CASE("idx: IDX errors name the file (wrong magic, truncated, count mismatch)") {
  TempDir dir("idx-err");
  auto im = idx_images(5, 4, 3);
  const auto lb = idx_labels(5);
  write(dir / "lb", lb);

  auto bad_magic = im;
  bad_magic[3] = 0x01;  // 0x801: labels, not images
  write(dir / "magic", bad_magic);
  auto r = load_idx(dir / "magic", dir / "lb");
  REQUIRE(!r.ok());
  CHECK(r.error().code == Errc::parse);
  CHECK(contains(r.error().message, (dir / "magic").string()));
  CHECK(contains(r.error().message, "wrong magic 0x00000801"));

  auto trunc = im;
  trunc.pop_back();
  write(dir / "trunc", trunc);
  r = load_idx(dir / "trunc", dir / "lb");
  REQUIRE(!r.ok());
  CHECK(contains(r.error().message, (dir / "trunc").string()));
  CHECK(contains(r.error().message, "truncated"));

  auto gz = gzip(im);
  gz.resize(gz.size() - 9);
  write(dir / "trunc.gz", gz);
  r = load_idx(dir / "trunc.gz", dir / "lb");
  REQUIRE(!r.ok());
  CHECK(contains(r.error().message, (dir / "trunc.gz").string()));

  write(dir / "im6", idx_images(6, 4, 3));
  r = load_idx(dir / "im6", dir / "lb");
  REQUIRE(!r.ok());
  CHECK(r.error().message == fmt::format("{} has 6 images but {} has 5 labels", (dir / "im6").string(), (dir / "lb").string()));

  auto trunc_lb = lb;
  trunc_lb.resize(10);
  write(dir / "lbt", trunc_lb);
  write(dir / "im", im);
  r = load_idx(dir / "im", dir / "lbt");
  REQUIRE(!r.ok());
  CHECK(contains(r.error().message, (dir / "lbt").string()));

  r = load_idx(dir / "missing", dir / "lb");
  REQUIRE(!r.ok());
  CHECK(r.error().code == Errc::io);
  CHECK(contains(r.error().message, (dir / "missing").string()));
}

TEST_CASE("cifar: CIFAR-10 binary round trip, truncation and bad labels") {
  TempDir dir("cifar");
  const auto a = cifar_records(3), b = cifar_records(2);
  write(dir / "data_batch_1.bin", a);
  write(dir / "data_batch_2.bin", b);
  auto ds = load_cifar_binary({dir / "data_batch_1.bin", dir / "data_batch_2.bin"});
  REQUIRE_MESSAGE(ds.ok(), ds.error().message);
  CHECK(ds->n == 5);
  CHECK((ds->c == 3 && ds->h == 32 && ds->w == 32));
  CHECK(ds->labels == std::vector<int32_t>{0, 1, 2, 0, 1});
  CHECK(ds->num_classes == 10);
  // record 1 (second of the first file): R plane at (0,0), G plane at (0,0), B at (31,31)
  CHECK(ds->image(1)[0] == doctest::Approx(float(a[3073 + 1]) / 255.0f));
  CHECK(ds->image(1)[1024] == doctest::Approx(float(a[3073 + 1 + 1024]) / 255.0f));
  CHECK(ds->image(4)[3071] == doctest::Approx(float(b[3073 + 3072]) / 255.0f));

  auto t = a;
  t.pop_back();
  write(dir / "trunc.bin", t);
  auto r = load_cifar_binary({dir / "data_batch_1.bin", dir / "trunc.bin"});
  REQUIRE(!r.ok());
  CHECK(contains(r.error().message, (dir / "trunc.bin").string()));
  CHECK(contains(r.error().message, "multiple of the 3073-byte"));

  auto bad = a;
  bad[3073] = 10;
  write(dir / "label.bin", bad);
  r = load_cifar_binary({dir / "label.bin"});
  REQUIRE(!r.ok());
  CHECK(r.error().message == fmt::format("{}: record 1 has label 10 (CIFAR-10 labels are 0..9)", (dir / "label.bin").string()));
}

TEST_CASE("fuzz: IDX and CIFAR parsers survive random corruption (deterministic fuzz)") {
  const auto im = idx_images(3, 5, 4), lb = idx_labels(3);
  const auto imz = gzip(im);
  const auto cif = cifar_records(2);
  std::mt19937 rng(11);
  auto mutate = [&](std::vector<uint8_t> b) {
    const int edits = 1 + int(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0: b[rng() % b.size()] = uint8_t(rng()); break;
        case 1: b.resize(rng() % (b.size() + 1)); if (b.empty()) b.push_back(0); break;
        case 2: b.insert(b.begin() + std::ptrdiff_t(rng() % b.size()), uint8_t(rng())); break;
        case 3: b[rng() % std::min<size_t>(b.size(), 16)] ^= uint8_t(1u << (rng() % 8)); break;  // header bits
      }
    }
    return b;
  };
  int idx_ok = 0, gz_ok = 0, cifar_ok = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    const auto mi = mutate(im), ml = mutate(lb);
    auto r = parse_idx(mi, "im", rng() % 2 ? ml : lb, "lb");
    if (r.ok()) {
      ++idx_ok;
      CHECK(r->images.size() == size_t(r->n * r->h * r->w));
      CHECK(r->labels.size() == size_t(r->n));
    } else {
      CHECK(!r.error().message.empty());
    }
    auto z = parse_idx(mutate(imz), "im.gz", lb, "lb");
    if (z.ok()) ++gz_ok;
    Dataset ds;
    auto c = parse_cifar_binary(mutate(cif), "cifar", ds);
    if (c.ok()) {
      ++cifar_ok;
      CHECK(ds.images.size() == size_t(ds.n) * 3072);
      for (auto l : ds.labels) CHECK((l >= 0 && l < 10));
    }
  }
  MESSAGE("parsed after mutation: idx " << idx_ok << ", idx.gz " << gz_ok << ", cifar " << cifar_ok << " of 5000");
}

TEST_CASE("idx: Fashion-MNIST t10k from the Debian package (dataset-fashion-mnist)") {
  const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  // install-deps.sh installs the package; its absence is a failure, not a silent pass.
  REQUIRE_MESSAGE(std::filesystem::exists(dir / "t10k-images-idx3-ubyte.gz"),
                  "dataset-fashion-mnist is not installed (scripts/install-deps.sh)");
  auto ds = load_idx(dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz");
  REQUIRE_MESSAGE(ds.ok(), ds.error().message);
  CHECK(ds->n == 10000);
  CHECK((ds->c == 1 && ds->h == 28 && ds->w == 28));
  CHECK(ds->num_classes == 10);
  std::vector<int> count(10);
  for (auto l : ds->labels) ++count[size_t(l)];
  for (int c : count) CHECK(c == 1000);  // the test set is balanced
  float lo = 1, hi = 0;
  for (float v : ds->images) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
}

TEST_CASE("idx: a header declaring more than the size limit is refused before anything is allocated") {
  std::vector<uint8_t> im;
  put_be32(im, 0x803);
  put_be32(im, 0xffffffffu);  // 2^32 - 1 images of 65536 x 65536: about 2^64 bytes
  put_be32(im, 65536);
  put_be32(im, 65536);
  const auto lb = idx_labels(3);
  for (const auto& bytes : {im, gzip(im)}) {
    auto r = parse_idx(bytes, "huge-images", lb, "labels");
    REQUIRE(!r.ok());
    CHECK(r.error().code == Errc::parse);
    CHECK(r.error().message ==
          fmt::format("huge-images: 4294967295 images of 65536x65536 exceed the {}-byte limit of an IDX file", kMaxIdxBytes));
  }
}
