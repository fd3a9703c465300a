// .npy reading and writing: round trips, what numpy writes, and strict refusals.
#include "vknn/data/npy.h"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>

using namespace vknn;
using namespace vknn::data;

namespace {

// A file as numpy.save writes it: magic, version, header length, header, data.
std::vector<uint8_t> npy_file(const std::string& header, const std::vector<uint8_t>& data, int major = 1) {
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', uint8_t(major), 0};
  const size_t len = header.size();
  out.push_back(uint8_t(len & 0xff));
  out.push_back(uint8_t(len >> 8));
  if (major > 1) {
    out.push_back(uint8_t(len >> 16));
    out.push_back(uint8_t(len >> 24));
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

template <class T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

void check_refused(const std::vector<uint8_t>& file, Errc code, const std::string& part) {
  auto r = parse_npy(file, "x.npy");
  REQUIRE(!r.ok());
  CHECK_MESSAGE(r.error().code == code, r.error().message);
  CHECK_MESSAGE(r.error().message.find(part) != std::string::npos, r.error().message << " (missing " << part << ")");
  CHECK(r.error().message.find("x.npy") != std::string::npos);
}

}  // namespace

TEST_CASE("npy: write then read gives the same shape and values, for any rank") {
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{}, {5}, {2, 3}, {2, 3, 4, 5}, {3, 0}}) {
    NpyArray a;
    a.shape = shape;
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    for (int64_t k = 0; k < n; ++k) a.values.push_back(float(k) * 0.5f - 3.0f);
    auto bytes = format_npy(a);
    REQUIRE(bytes.ok());
    CHECK((bytes->size() - a.values.size() * 4) % 64 == 0);  // data 64-byte aligned, as numpy does
    auto b = parse_npy(*bytes, "t.npy");
    REQUIRE_MESSAGE(b.ok(), b.error().what());
    CHECK(b->shape == a.shape);
    CHECK(b->values == a.values);
  }
  NpyArray bad{{2, 2}, {1, 2, 3}};
  CHECK(!format_npy(bad).ok());
}

TEST_CASE("npy: empty arrays round trip (no memcpy through a null pointer: checked under UBSan)") {
  // An empty std::vector's data() may be null; memcpy with a null pointer is undefined even for
  // 0 bytes, which the sanitizer build (scripts/test-sanitize.sh) reports.
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{0}, {0, 4}, {2, 0, 3}}) {
    auto bytes = format_npy(NpyArray{shape, {}});
    REQUIRE_MESSAGE(bytes.ok(), bytes.error().what());
    CHECK(bytes->size() % 64 == 0);  // header only
    auto b = parse_npy(*bytes, "empty.npy");
    REQUIRE_MESSAGE(b.ok(), b.error().what());
    CHECK(b->shape == shape);
    CHECK(b->values.empty());
  }
  auto i8 = parse_npy(npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (0,), }\n", {}), "e8.npy");
  REQUIRE_MESSAGE(i8.ok(), i8.error().what());
  CHECK(i8->values.empty());
}

TEST_CASE("npy: reads what numpy writes: float64, int32, int64, versions 2 and 3, 1-tuples") {
  auto f8 = parse_npy(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }          \n",
                               bytes_of(std::vector<double>{1.5, -2.25, 1e-3})),
                      "d.npy");
  REQUIRE_MESSAGE(f8.ok(), f8.error().what());
  CHECK(f8->shape == std::vector<int64_t>{3});
  CHECK(f8->values == std::vector<float>{1.5f, -2.25f, 1e-3f});
  auto i8 = parse_npy(npy_file("{\"descr\":\"<i8\",\"fortran_order\":False,\"shape\":(1,2)}\n",
                               bytes_of(std::vector<int64_t>{-7, 9}), 2),
                      "i.npy");
  REQUIRE_MESSAGE(i8.ok(), i8.error().what());
  CHECK(i8->values == std::vector<float>{-7, 9});
  auto i4 = parse_npy(npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (2L, 1L), }\n",
                               bytes_of(std::vector<int32_t>{3, 4}), 3),
                      "i4.npy");
  REQUIRE_MESSAGE(i4.ok(), i4.error().what());
  CHECK(i4->shape == std::vector<int64_t>{2, 1});
}

TEST_CASE("npy: refuses bad magic, versions, headers, dtypes, Fortran order and wrong sizes") {
  const auto data = bytes_of(std::vector<float>{1, 2, 3, 4, 5, 6});
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
  REQUIRE(parse_npy(npy_file(good, data), "x.npy").ok());
  auto magic = npy_file(good, data);
  magic[1] = 'X';
  check_refused(magic, Errc::parse, "magic");
  auto version = npy_file(good, data);
  version[6] = 4;
  check_refused(version, Errc::parse, "version 4.0");
  check_refused(npy_file(good, {data.begin(), data.end() - 4}), Errc::parse, "needs 24 data bytes, the file has 20");
  check_refused(npy_file(good, bytes_of(std::vector<float>(7))), Errc::parse, "the file has 28");
  check_refused(npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n", data), Errc::unsupported,
                "dtype '>f4'");
  check_refused(npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", data), Errc::unsupported,
                "Fortran");
  check_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}\n", data), Errc::parse,
                "unexpected or repeated key 'x'");
  check_refused(npy_file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}\n", data),
                Errc::parse, "repeated");
  check_refused(npy_file("{'descr': '<f4', 'shape': (2, 3)}\n", data), Errc::parse, "missing");
  check_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }\n", data), Errc::parse,
                "non-negative integer");
  check_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data), Errc::parse,
                "newline");
  check_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n", data),
                Errc::parse, "overflows");
  check_refused(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n", data),
                Errc::parse, "more than 2^31 elements");
  auto long_header = npy_file(good, data);
  long_header[8] = 0xff, long_header[9] = 0xff;
  check_refused(long_header, Errc::parse, "does not fit");
  check_refused({}, Errc::parse, "magic");
}

TEST_CASE("npy: random corruptions never crash the reader") {
  NpyArray a{{3, 4}, std::vector<float>(12, 1.0f)};
  const auto good = format_npy(a).value();
  std::mt19937 rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    auto b = good;
    const int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; ++k) b[rng() % 80] = uint8_t(rng());
    if (rng() % 4 == 0) b.resize(rng() % b.size());
    (void)parse_npy(b, "fuzz.npy");
  }
}
