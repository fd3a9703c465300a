#include "vknn/graph/safetensors.h"

#include "vknn/graph/executor.h"
#include "vknn/graph/graph.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <limits>
#include <random>
#include <unistd.h>

using namespace vknn;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> sample_file() {
  SafetensorsWriter w;
  std::vector<float> a = {1, 2, 3, 4, 5, 6};
  std::vector<float> b = {-1.5f};
  w.add_f32("layer1.0.conv1.weight", {2, 3}, a);
  w.add_f32("bn1.running_mean", {1}, b);
  w.set_metadata("step", "42");
  return w.serialize();
}

}  // namespace

TEST_CASE("safetensors: round trip of names, shapes, data and metadata") {
  auto f = SafetensorsFile::parse(sample_file(), "sample");
  REQUIRE(f.ok());
  CHECK(f->entries().size() == 2);
  CHECK(f->metadata().at("step") == "42");
  auto a = f->read_f32("layer1.0.conv1.weight", {2, 3});
  REQUIRE(a.ok());
  CHECK(*a == std::vector<float>{1, 2, 3, 4, 5, 6});
  auto wrong_shape = f->read_f32("layer1.0.conv1.weight", {3, 2});
  REQUIRE(!wrong_shape.ok());
  CHECK(wrong_shape.error().message == "sample: tensor 'layer1.0.conv1.weight' has shape (2,3), expected (3,2)");
  auto missing = f->read_f32("fc.weight", {1});
  REQUIRE(!missing.ok());
  CHECK(missing.error().message.find("no tensor named 'fc.weight'") != std::string::npos);
}

TEST_CASE("safetensors: atomic write leaves no temporary file and replaces the old one") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("vknn-st-{}", ::getpid());
  fs::create_directories(dir);
  const fs::path path = dir / "ckpt.safetensors";
  SafetensorsWriter w;
  std::vector<float> v(1000, 0.25f);
  w.add_f32("w", {10, 100}, v);
  REQUIRE(w.write_atomic(path).ok());
  std::vector<float> v2(1000, 0.5f);
  SafetensorsWriter w2;
  w2.add_f32("w", {10, 100}, v2);
  REQUIRE(w2.write_atomic(path).ok());
  auto f = SafetensorsFile::read(path);
  REQUIRE(f.ok());
  CHECK((*f->read_f32("w", {10, 100}))[999] == 0.5f);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  auto none = SafetensorsFile::read(dir / "missing.safetensors");
  REQUIRE(!none.ok());
  CHECK(none.error().code == Errc::io);
  CHECK(none.error().message.find("missing.safetensors") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("safetensors: malformed files are errors that name the file") {
  const auto good = sample_file();
  SUBCASE("truncated anywhere") {
    for (size_t len = 0; len < good.size(); ++len) {
      auto f = SafetensorsFile::parse({good.begin(), good.begin() + std::ptrdiff_t(len)}, "cut.safetensors");
      CHECK(!f.ok());
      if (!f.ok()) CHECK(f.error().message.rfind("cut.safetensors: ", 0) == 0);
    }
  }
  SUBCASE("a header length past the end") {
    auto bad = good;
    bad[0] = 0xff, bad[1] = 0xff, bad[7] = 0x7f;
    CHECK(!SafetensorsFile::parse(bad, "x").ok());
  }
  SUBCASE("lying shapes and offsets") {
    auto make = [](const std::string& json) {
      std::string h = json;
      std::vector<uint8_t> out;
      for (int i = 0; i < 8; ++i) out.push_back(uint8_t(uint64_t(h.size()) >> (8 * i)));
      out.insert(out.end(), h.begin(), h.end());
      out.resize(out.size() + 16, 0);  // 16 data bytes
      return out;
    };
    CHECK(SafetensorsFile::parse(make(R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})"), "ok").ok());
    for (const char* bad : {
             R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}})",       // size mismatch
             R"({"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})",         // past the end
             R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[12,4]}})",         // reversed
             R"({"a":{"dtype":"Q99","shape":[2],"data_offsets":[0,8]}})",          // unknown dtype
             R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",         // negative dim
             R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}})",  // overflow
             R"({"a":{"dtype":"F32","shape":[4]}})",                                // no offsets
             R"({"a":[1,2,3]})", R"([1,2])", R"({"a":)", R"({"__metadata__":{"k":1}})"}) {
      CAPTURE(bad);
      auto f = SafetensorsFile::parse(make(bad), "bad.safetensors");
      CHECK(!f.ok());
    }
  }
}

TEST_CASE("safetensors: random corruption never crashes (deterministic fuzz)") {
  const auto good = sample_file();
  std::mt19937 rng(7);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    auto b = good;
    const int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0: b[rng() % b.size()] = uint8_t(rng()); break;                      // byte flip
        case 1: b.resize(rng() % (b.size() + 1)); if (b.empty()) b.push_back(0); break;  // truncate
        case 2: b.insert(b.begin() + std::ptrdiff_t(rng() % b.size()), uint8_t(rng())); break;  // insert
        case 3: b[rng() % std::min<size_t>(b.size(), 8)] ^= uint8_t(1u << (rng() % 8)); break;  // header length
      }
    }
    auto f = SafetensorsFile::parse(b, "fuzz");
    if (f.ok()) {
      ++accepted;
      for (const auto& e : f->entries()) CHECK(f->data(e).size() == e.end - e.begin);
    }
  }
  MESSAGE(accepted << " of 20000 mutated files still parsed");
}

TEST_CASE("safetensors: Executor::read_weights checks a file against a graph without a device") {
  // The CLI reads and checks weights this way before it opens a device, so that a wrong file
  // fails in milliseconds (and names the file and the tensor).
  Graph g;
  g.parameter("conv.weight", Shape{2, 3}, Init::zeros());
  g.state("bn.running_mean", Shape{1});
  g.state("conv.weight.momentum", Shape{2, 3});  // optional: plain weights carry no optimizer state
  const fs::path dir = fs::temp_directory_path() / ("vknn-read-weights-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& file, const std::vector<std::pair<std::string, std::vector<int64_t>>>& ts) {
    SafetensorsWriter w;
    for (const auto& [name, shape] : ts) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      w.add_f32(name, shape, std::vector<float>(size_t(n), 0.5f));
    }
    REQUIRE(w.write_atomic(dir / file).ok());
    return dir / file;
  };
  auto good = Executor::read_weights(g, write("good", {{"conv.weight", {2, 3}}, {"bn.running_mean", {1}}}));
  REQUIRE_MESSAGE(good.ok(), good.error().message);
  REQUIRE(good->tensors.size() == 2);
  CHECK(good->tensors[0].second == std::vector<float>(6, 0.5f));

  auto wrong = Executor::read_weights(g, write("wrong", {{"conv.weight", {3, 2}}, {"bn.running_mean", {1}}}));
  REQUIRE(!wrong.ok());
  CHECK(wrong.error().message.find("'conv.weight'") != std::string::npos);
  auto missing = Executor::read_weights(g, write("missing", {{"conv.weight", {2, 3}}}));
  REQUIRE(!missing.ok());
  CHECK(missing.error().message.find("no tensor named 'bn.running_mean'") != std::string::npos);
  const auto extra_file = write("extra", {{"conv.weight", {2, 3}}, {"bn.running_mean", {1}}, {"fc.bias", {4}}});
  CHECK(!Executor::read_weights(g, extra_file).ok());
  CHECK(Executor::read_weights(g, extra_file, /*allow_extra=*/true).ok());
  auto dir_given = Executor::read_weights(g, dir);
  REQUIRE(!dir_given.ok());
  CHECK(dir_given.error().message.find("is a directory, not a file") != std::string::npos);
  fs::remove_all(dir);
}

namespace {

// A file with `json` as its header and `data_bytes` zero bytes of data.
std::vector<uint8_t> crafted(const std::string& json, size_t data_bytes) {
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(uint64_t(json.size()) >> (8 * i)));
  out.insert(out.end(), json.begin(), json.end());
  out.resize(out.size() + data_bytes, 0);
  return out;
}

}  // namespace

TEST_CASE("safetensors: a byte count that wraps around 2^64 is refused") {
  // count * 4 = 2^64 wrapped to 0, which matched the empty range before the product was checked.
  for (const char* json : {
           R"({"a":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,0]}})",
           R"({"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}})",
           R"({"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})",
           R"({"a":{"dtype":"I16","shape":[9223372036854775808],"data_offsets":[0,0]}})",
           R"({"a":{"dtype":"F32","shape":[1073741824,4,4294967296],"data_offsets":[0,0]}})"}) {
    CAPTURE(json);
    auto f = SafetensorsFile::parse(crafted(json, 0), "wrap.safetensors");
    REQUIRE(!f.ok());
    CHECK(f.error().message.rfind("wrap.safetensors: tensor 'a' ", 0) == 0);
  }
  // A shape with a zero stays a valid empty tensor, whatever the other dimensions.
  CHECK(SafetensorsFile::parse(crafted(R"({"a":{"dtype":"F32","shape":[0,7],"data_offsets":[0,0]}})", 0), "z").ok());
}

TEST_CASE("safetensors: an empty F32 tensor reads as no values") {
  // read_f32 copied 0 bytes out of a null pointer here (undefined behaviour that UBSan reports).
  auto f = SafetensorsFile::parse(crafted(R"({"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", 0), "empty");
  REQUIRE(f.ok());
  auto v = f->read_f32("e", {0});
  REQUIRE(v.ok());
  CHECK(v->empty());
}

TEST_CASE("safetensors: non-finite weights are refused on load, naming the file and the tensor") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (float bad : {nan, inf, -inf}) {
    CAPTURE(bad);
    SafetensorsWriter w;
    std::vector<float> ok = {1, 2, 3}, broken = {0.5f, 0.25f, bad, 1.0f};
    w.add_f32("fc.bias", {3}, ok);
    w.add_f32("fc.weight", {2, 2}, broken);
    auto f = SafetensorsFile::parse(w.serialize(), "nan.safetensors");
    REQUIRE(f.ok());  // the file is well formed; its values are what is wrong
    CHECK(f->read_f32("fc.bias", {3}).ok());
    auto r = f->read_f32("fc.weight", {2, 2});
    REQUIRE(!r.ok());
    CHECK(r.error().code == Errc::parse);
    CHECK(r.error().message.rfind("nan.safetensors: tensor 'fc.weight' (2,2) holds a non-finite value (", 0) == 0);
    CHECK(r.error().message.find("at element 2") != std::string::npos);
  }
}
