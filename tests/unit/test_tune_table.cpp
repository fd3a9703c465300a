// The autotuner's table on disk (vknn/engine/tuning.h): a round trip, and files that must be
// ignored with a warning rather than trusted (corrupt, another device, another driver).
#include "vknn/engine/caps.h"
#include "vknn/engine/file.h"
#include "vknn/engine/tuning.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <unistd.h>

using namespace vknn;
namespace fs = std::filesystem;

namespace {

TuneIdentity identity(const std::string& uuid = "00112233445566778899aabbccddeeff", uint32_t driver = 42) {
  return {uuid, driver, "a device"};
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / fmt::format("vknn-tune-{}", ::getpid());
  TempDir() { fs::remove_all(path), fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

void write_text(const fs::path& p, const std::string& s) {
  REQUIRE(write_file_atomic(p, {reinterpret_cast<const uint8_t*>(s.data()), s.size()}).ok());
}

// Opens the table at `p` and returns the warnings.
std::vector<std::string> open_warnings(const fs::path& p, std::shared_ptr<TuneTable>& t) {
  std::vector<std::string> w;
  t = TuneTable::open(p, identity(), &w);
  REQUIRE(t);
  return w;
}

bool mentions(const std::vector<std::string>& w, const std::string& part) {
  return w.size() == 1 && w[0].find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("tune table: choices survive a save and a reopen, and the file is named by the device UUID") {
  TempDir dir;
  const fs::path p = dir.path / "tune.json";
  std::shared_ptr<TuneTable> t;
  CHECK(open_warnings(p, t).empty());  // no file yet: empty, no warning
  CHECK(t->size() == 0);
  REQUIRE(t->set("conv2d_forward x(1,3,8,8)", "shared").ok());
  REQUIRE(t->set("conv2d_forward x(1,64,56,56)", "gemm").ok());
  REQUIRE(t->set("conv2d_forward x(1,3,8,8)", "register").ok());  // a later choice replaces
  CHECK(fs::exists(p));
  std::shared_ptr<TuneTable> u;
  CHECK(open_warnings(p, u).empty());
  CHECK(u->size() == 2);
  CHECK(u->find("conv2d_forward x(1,3,8,8)") == "register");
  CHECK(u->find("conv2d_forward x(1,64,56,56)") == "gemm");
  CHECK(!u->find("conv2d_forward x(2,3,8,8)"));
  for (const auto& e : fs::directory_iterator(dir.path))  // the atomic save leaves no temporary behind
    CHECK_MESSAGE(e.path().filename() == "tune.json", e.path().string());

  DeviceCaps caps;
  caps.device_uuid[0] = 0xab;
  CHECK(tune_file_path(dir.path.string(), caps) ==
        dir.path / ("tune-ab" + std::string(30, '0') + ".json"));
  CHECK(tune_file_path("-", caps).empty());
}

TEST_CASE("tune table: a corrupt or malformed file is ignored with a warning and replaced at the next save") {
  TempDir dir;
  const fs::path p = dir.path / "tune.json";
  const std::string good = TuneTable::serialize({{"k", "shared"}}, identity());
  const std::pair<std::string, std::string> files[] = {
      {"{\"schema\": \"vknn-tune-1\", \"choi", "not JSON"},
      {std::string("\0\xff\x01garbage", 10), "not JSON"},
      {"[1, 2, 3]", "not a JSON object"},
      {"{}", "schema"},
      {R"({"schema":"vknn-tune-2","device_uuid":"00112233445566778899aabbccddeeff","driver_version":42,"choices":{}})",
       "schema"},
      {R"({"schema":"vknn-tune-1","device_uuid":7,"driver_version":42,"choices":{}})", "device_uuid"},
      {R"({"schema":"vknn-tune-1","device_uuid":"00112233445566778899aabbccddeeff","driver_version":-1,"choices":{}})",
       "driver_version"},
      {R"({"schema":"vknn-tune-1","device_uuid":"00112233445566778899aabbccddeeff","driver_version":42,"choices":[]})",
       "choices"},
      {R"({"schema":"vknn-tune-1","device_uuid":"00112233445566778899aabbccddeeff","driver_version":42,"choices":{"k":1}})",
       "the choice for \"k\""},
  };
  for (const auto& [text, why] : files) {
    CAPTURE(text);
    write_text(p, text);
    std::shared_ptr<TuneTable> t;
    const auto w = open_warnings(p, t);
    CHECK_MESSAGE(mentions(w, why), (w.empty() ? std::string("no warning") : w[0]));
    CHECK((w.empty() || w[0].find(p.string()) != std::string::npos));  // names the file
    CHECK(t->size() == 0);
    REQUIRE(t->set("k2", "gemm").ok());  // the next save writes a good file over it
    std::shared_ptr<TuneTable> u;
    CHECK(open_warnings(p, u).empty());
    CHECK(u->find("k2") == "gemm");
  }
  write_text(p, good);  // the same bytes parse when they are well formed
  std::shared_ptr<TuneTable> t;
  CHECK(open_warnings(p, t).empty());
  CHECK(t->find("k") == "shared");
}

TEST_CASE("tune table: a file of another device UUID or driver version is ignored with a warning") {
  TempDir dir;
  const fs::path p = dir.path / "tune.json";
  write_text(p, TuneTable::serialize({{"k", "shared"}}, identity("ffeeddccbbaa99887766554433221100")));
  std::shared_ptr<TuneTable> t;
  CHECK(mentions(open_warnings(p, t), "device UUID ffeeddccbbaa99887766554433221100"));
  CHECK(!t->find("k"));
  write_text(p, TuneTable::serialize({{"k", "shared"}}, identity("00112233445566778899aabbccddeeff", 41)));
  CHECK(mentions(open_warnings(p, t), "driver version 41"));
  CHECK(!t->find("k"));
}

TEST_CASE("tune table: without a path it lives in memory only") {
  auto t = TuneTable::open({}, identity());
  REQUIRE(t->set("k", "register").ok());
  CHECK(t->find("k") == "register");
  CHECK(t->path().empty());
}
