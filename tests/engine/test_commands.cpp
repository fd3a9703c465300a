// Recording: barriers from last access, dispatch splitting, specialization, timestamps,
// replay, and the pipeline cache on disk.
#include "gpu.h"

#include <filesystem>
#include <fstream>

using namespace vknn;
using namespace vknn::test;

namespace {

struct AxpbPush {  // mirrors shaders/engine_test_axpb.comp
  uint32_t n;
  float a, b, group_term;
};

const uint32_t kLocal64[] = {64};

// Options for a validated context on the test GPU whose pipeline cache lives in a fresh
// temporary folder `dir` (removed first; the test removes it at the end).
ContextOptions cache_options(const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  ContextOptions o;
  o.validation = true;
  o.device.index = gpu().caps().index;
  o.pipeline_cache_dir = dir.string();
  return o;
}

std::filesystem::path temp_folder(const std::string& tag) {
  return std::filesystem::temp_directory_path() / fmt::format("vknn-{}-{}", tag, ::getpid());
}

}  // namespace

TEST_CASE("engine: a write followed by a read in the next dispatch gets a barrier") {
  const uint32_t n = 1000;
  auto x = random_floats(n, 1);
  auto bx = device_buffer(x);
  auto by = device_buffer_zeros(n), bz = device_buffer_zeros(n), bw = device_buffer_zeros(n);
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const uint32_t base = cl->barrier_count();
  // y = 2x + 1, then z = 3y - 1 (reads what the first wrote: RAW)
  cl->dispatch(ShaderId::engine_test_axpb, kLocal64, {{bx.ref(), Access::read}, {by.ref(), Access::write}},
               AxpbPush{n, 2, 1, 0}, groups_for(n, 64));
  // w = x + 5 reads only x: independent, no barrier needed
  cl->dispatch(ShaderId::engine_test_axpb, kLocal64, {{bx.ref(), Access::read}, {bw.ref(), Access::write}},
               AxpbPush{n, 1, 5, 0}, groups_for(n, 64));
  CHECK(cl->barrier_count() == base);
  cl->dispatch(ShaderId::engine_test_axpb, kLocal64, {{by.ref(), Access::read}, {bz.ref(), Access::write}},
               AxpbPush{n, 3, -1, 0}, groups_for(n, 64));
  CHECK(cl->barrier_count() == base + 1);
  // y = x again: writes what the previous dispatch read (WAR)
  cl->dispatch(ShaderId::engine_test_axpb, kLocal64, {{bx.ref(), Access::read}, {by.ref(), Access::write}},
               AxpbPush{n, 1, 0, 0}, groups_for(n, 64));
  CHECK(cl->barrier_count() == base + 2);
  REQUIRE_OK(cl->end());
  REQUIRE_OK(cl->run());
  auto z = read_back(bz, n), w = read_back(bw, n), y = read_back(by, n);
  std::vector<double> want_z(n), want_w(n);
  for (uint32_t i = 0; i < n; ++i) {
    want_z[i] = 3.0 * (2.0 * x[i] + 1.0) - 1.0;
    want_w[i] = x[i] + 5.0;
  }
  check_close(z, want_z, {1e-5, 1e-5}, "z");
  check_close(w, want_w, {1e-5, 1e-5}, "w");
  check_close(y, to_double(x), {0, 0}, "y");

  SUBCASE("replaying the recorded list gives identical results") {
    REQUIRE_OK(cl->run());
    REQUIRE_OK(cl->run());
    CHECK(read_back(bz, n) == z);
  }
}

TEST_CASE("engine: a dispatch whose group count exceeds the device limit is split") {
  const uint32_t limit = gpu().caps().max_workgroup_count[0];
  const uint32_t groups = std::min<uint64_t>(uint64_t(limit) + 3, uint64_t(1) << 22);
  REQUIRE(groups > limit);  // otherwise this test would prove nothing
  const uint32_t local = 1;
  const uint32_t spec[] = {local};
  const uint32_t n = groups * local;
  auto bx = device_buffer(std::vector<float>(n, 1.0f));
  auto by = device_buffer_zeros(n);
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  // y[i] = x[i] + group id: each split part must see its true gl_WorkGroupID.
  cl->dispatch(ShaderId::engine_test_axpb, spec, {{bx.ref(), Access::read}, {by.ref(), Access::write}},
               AxpbPush{n, 1, 0, 1}, groups);
  CHECK(cl->dispatch_count() == 2);
  REQUIRE_OK(cl->end());
  REQUIRE_OK(cl->run());
  auto y = read_back(by, n);
  size_t wrong = 0;
  for (uint32_t i = 0; i < n; ++i) wrong += y[i] != float(1 + i);
  CHECK(wrong == 0);
  CHECK(y[limit] == float(limit + 1));
}

TEST_CASE("engine: specialization constants select the pipeline variant") {
  auto bx = device_buffer({1, 2, 3});
  auto by = device_buffer_zeros(3);
  const float addend = 10.0f;
  uint32_t bits;
  std::memcpy(&bits, &addend, 4);
  const uint32_t spec[] = {32, bits};
  run_recorded([&](CommandList& cl) {
    cl.dispatch(ShaderId::engine_test_axpb, spec, {{bx.ref(), Access::read}, {by.ref(), Access::write}},
                AxpbPush{3, 1, 0, 0}, 1);
  });
  CHECK(read_back(by, 3) == std::vector<float>{11, 12, 13});
  auto p1 = gpu().pipeline(ShaderId::engine_test_axpb, spec);
  auto p2 = gpu().pipeline(ShaderId::engine_test_axpb, kLocal64);
  REQUIRE_OK(p1);
  REQUIRE_OK(p2);
  CHECK(*p1 != *p2);
  CHECK((*p1)->binding_count == 2);
}

TEST_CASE("engine: timestamps time labelled regions") {
  CommandList::Options opt;
  opt.max_timestamps = 4;
  auto cl = CommandList::create(gpu(), opt);
  REQUIRE_OK(cl);
  const uint32_t n = 1 << 16;
  auto bx = device_buffer(std::vector<float>(n, 1.0f));
  auto by = device_buffer_zeros(n);
  REQUIRE_OK(cl->begin());
  cl->timestamp("first");
  cl->dispatch(ShaderId::engine_test_axpb, kLocal64, {{bx.ref(), Access::read}, {by.ref(), Access::write}},
               AxpbPush{n, 1, 0, 0}, groups_for(n, 64));
  cl->timestamp("second");
  cl->dispatch(ShaderId::engine_test_axpb, kLocal64, {{by.ref(), Access::read}, {bx.ref(), Access::write}},
               AxpbPush{n, 1, 0, 0}, groups_for(n, 64));
  REQUIRE_OK(cl->end());
  REQUIRE_OK(cl->run());
  auto t = cl->timings();
  REQUIRE_OK(t);
  if (gpu().caps().queue_families[gpu().queue().family()].timestamp_valid_bits == 0) {
    CHECK(t->empty());
    return;
  }
  REQUIRE(t->size() == 2);
  CHECK((*t)[0].label == "first");
  CHECK((*t)[1].label == "second");
  CHECK((*t)[0].ms >= 0);
  CHECK((*t)[1].ms >= 0);
  CHECK((*t)[0].ms < 10000);
}

TEST_CASE("engine: the pipeline cache is saved, reloaded, and survives a corrupt file") {
  namespace fs = std::filesystem;
  const fs::path dir = temp_folder("cache-test");
  const ContextOptions o = cache_options(dir);
  fs::path file;
  {
    auto ctx = Context::create(o);
    REQUIRE_OK(ctx);
    CHECK(!(*ctx)->pipeline_cache().loaded_from_disk());
    REQUIRE_OK((*ctx)->pipeline(ShaderId::engine_test_axpb, kLocal64));
    file = (*ctx)->pipeline_cache().path();
  }
  REQUIRE(fs::exists(file));
  {
    auto ctx = Context::create(o);
    REQUIRE_OK(ctx);
    CHECK((*ctx)->pipeline_cache().loaded_from_disk());
  }
  for (const std::string& garbage : {std::string("not a pipeline cache"), std::string(64, '\xff'), std::string()}) {
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << garbage;
    }
    auto ctx = Context::create(o);
    REQUIRE_OK(ctx);
    CHECK(!(*ctx)->pipeline_cache().loaded_from_disk());
    auto p = (*ctx)->pipeline(ShaderId::engine_test_axpb, kLocal64);
    CHECK(p.ok());
  }
  fs::remove_all(dir);
}

TEST_CASE("engine: a directory at the pipeline cache file's path, or a file at its folder's, is a warning") {
  // Both used to abort every command: std::ifstream opens a directory, then throws
  // std::ios_failure from its first read.
  namespace fs = std::filesystem;
  const fs::path dir = temp_folder("cache-dir-test");
  const ContextOptions o = cache_options(dir);
  fs::path file;
  {
    auto ctx = Context::create(o);
    REQUIRE_OK(ctx);
    file = (*ctx)->pipeline_cache().path();  // not written: no pipeline was made
  }
  fs::remove_all(dir);
  fs::create_directories(file);  // a directory where the cache file goes
  for (int round = 0; round < 2; ++round) {
    auto ctx = Context::create(o);
    REQUIRE_OK(ctx);
    CHECK(!(*ctx)->pipeline_cache().loaded_from_disk());
    CHECK((*ctx)->pipeline_cache().path().empty());  // no disk cache for this run, nothing saved over it
    CHECK((*ctx)->pipeline(ShaderId::engine_test_axpb, kLocal64).ok());
    if (round == 0) {
      fs::remove_all(dir);
      std::ofstream(dir) << "a file where the cache folder goes";
    }
  }
  CHECK(fs::is_regular_file(dir));
  fs::remove_all(dir);
}

TEST_CASE("engine: reflection reads bindings and refuses what is not SPIR-V") {
  auto info = reflect_spirv(shader_spirv(ShaderId::matmul_register));
  REQUIRE_OK(info);
  CHECK(info->binding_count == 4);
  std::vector<uint32_t> junk = {1, 2, 3, 4, 5, 6};
  CHECK(!reflect_spirv(junk).ok());
  std::vector<uint32_t> truncated(shader_spirv(ShaderId::matmul_register).begin(),
                                  shader_spirv(ShaderId::matmul_register).begin() + 7);
  truncated.push_back(0xffff0001);  // claims 65535 words
  CHECK(!reflect_spirv(truncated).ok());
}

TEST_CASE("engine: synchronization validation catches a barrier left out on purpose") {
  // Proves the derived barriers are checked: with derivation off, the read-after-write
  // between two dispatches must be reported. (This is also why the recorder uses plain
  // vkCmdDispatch where it can: the layer does not track vkCmdDispatchBase.)
  const uint32_t n = 256;
  auto bx = device_buffer(std::vector<float>(n, 1.0f));
  auto by = device_buffer_zeros(n), bz = device_buffer_zeros(n);
  CommandList::Options opt;
  opt.derive_barriers = false;
  auto cl = CommandList::create(gpu(), opt);
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  cl->dispatch(ShaderId::engine_test_axpb, kLocal64, {{bx.ref(), Access::read}, {by.ref(), Access::write}},
               AxpbPush{n, 1, 0, 0}, groups_for(n, 64));
  const uint64_t before = validation_message_count();
  cl->dispatch(ShaderId::engine_test_axpb, kLocal64, {{by.ref(), Access::read}, {bz.ref(), Access::write}},
               AxpbPush{n, 1, 0, 0}, groups_for(n, 64));
  const uint64_t seen = validation_message_count() - before;
  CHECK(seen >= 1);
  forget_validation_messages(seen);
  REQUIRE_OK(cl->end());
  REQUIRE_OK(cl->run());
}
