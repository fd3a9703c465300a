// The device profile is a pure function of the capabilities and the environment: every
// per-device choice is checked here on made-up devices, without a driver.
#include "vknn/engine/profile.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace vknn;

namespace {

DeviceCaps lavapipe_like(uint32_t subgroup = 8) {
  DeviceCaps c;
  c.name = "llvmpipe (LLVM 15.0.6, 256 bits)";
  c.type = VK_PHYSICAL_DEVICE_TYPE_CPU;
  c.driver_id = VK_DRIVER_ID_MESA_LLVMPIPE;
  c.subgroup_size = subgroup;
  c.subgroup_in_compute = true;
  c.subgroup_operations = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_BALLOT_BIT;
  c.max_workgroup_invocations = 1024;
  return c;
}

DeviceCaps gpu_like() {
  DeviceCaps c;
  c.name = "some discrete GPU";
  c.type = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
  c.driver_id = VK_DRIVER_ID_NVIDIA_PROPRIETARY;
  c.subgroup_size = 32;
  c.subgroup_in_compute = true;
  c.subgroup_operations = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_BALLOT_BIT;
  c.max_workgroup_invocations = 1024;
  return c;
}

EnvironmentReader env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST_CASE("profile: a CPU driver gets register-blocked kernels, small loop groups and Mesa's loop limit") {
  const DeviceProfile p = make_device_profile(lavapipe_like(), env({}));
  CHECK(p.preferred == KernelFamily::register_blocked);
  for (auto c : {KernelClass::conv, KernelClass::matmul, KernelClass::lrn, KernelClass::batchnorm}) {
    CHECK(p.family(c) == KernelFamily::register_blocked);
    CHECK_FALSE(p.is_forced(c));
  }
  CHECK(p.elementwise_local == 256);
  CHECK(p.loop_local == 64);
  CHECK(p.reduction_local == 64);
  CHECK(p.plane_local.x == 8);
  CHECK(p.plane_local.y == 8);
  CHECK(p.subgroup_size == 8);
  CHECK(p.subgroup_broadcast);
  CHECK(p.loop_limit == 65535);
  CHECK(p.loop_fits(60000));
  CHECK_FALSE(p.loop_fits(65000));
  CHECK(p.loop_budget * 2 <= p.loop_limit + 1);
  CHECK(p.warnings.empty());
}

TEST_CASE("profile: a GPU gets shared-memory tiles, 256-wide groups and no loop limit") {
  const DeviceProfile p = make_device_profile(gpu_like(), env({}));
  CHECK(p.preferred == KernelFamily::shared_tiled);
  CHECK(p.family(KernelClass::conv) == KernelFamily::shared_tiled);
  CHECK(p.loop_local == 256);
  CHECK(p.reduction_local == 256);
  CHECK(p.plane_local.x == 32);
  CHECK(p.loop_limit == 0);
  CHECK(p.loop_fits(int64_t(1) << 40));
}

TEST_CASE("profile: a CPU driver other than llvmpipe has no loop limit") {
  DeviceCaps c = lavapipe_like();
  c.driver_id = VK_DRIVER_ID_GOOGLE_SWIFTSHADER;
  const DeviceProfile p = make_device_profile(c, env({}));
  CHECK(p.preferred == KernelFamily::register_blocked);
  CHECK(p.loop_limit == 0);
}

TEST_CASE("profile: the environment forces a family per op class, read once") {
  const DeviceProfile p = make_device_profile(
      lavapipe_like(), env({{"VKNN_CONV", "shared"}, {"VKNN_MATMUL", "shared"}, {"VKNN_LRN", "element"}}));
  CHECK(p.family(KernelClass::conv) == KernelFamily::shared_tiled);
  CHECK(p.family(KernelClass::matmul) == KernelFamily::shared_tiled);
  CHECK(p.family(KernelClass::lrn) == KernelFamily::shared_tiled);
  CHECK(p.is_forced(KernelClass::matmul));
  CHECK(p.family(KernelClass::batchnorm) == KernelFamily::register_blocked);
  CHECK_FALSE(p.is_forced(KernelClass::batchnorm));

  const DeviceProfile g = make_device_profile(gpu_like(), env({{"VKNN_BATCHNORM", "channel"}, {"VKNN_CONV", "register"}}));
  CHECK(g.family(KernelClass::batchnorm) == KernelFamily::register_blocked);
  CHECK(g.family(KernelClass::conv) == KernelFamily::register_blocked);
  CHECK(g.family(KernelClass::matmul) == KernelFamily::shared_tiled);
}

TEST_CASE("profile: an unknown override value is ignored with a warning naming it") {
  const DeviceProfile p = make_device_profile(lavapipe_like(), env({{"VKNN_CONV", "fast"}}));
  CHECK_FALSE(p.is_forced(KernelClass::conv));
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("VKNN_CONV=fast") != std::string::npos);
  CHECK(p.warnings[0].find("register or shared") != std::string::npos);
}

TEST_CASE("profile: register kernels get subgroup multiples up to 64 that leave little idle") {
  for (uint32_t sg : {4u, 8u, 16u}) {
    const DeviceProfile p = make_device_profile(lavapipe_like(sg), env({}));
    CAPTURE(sg);
    for (int64_t items : {1, 3, 7, 8, 13, 64, 65, 100, 1000, 12345}) {
      CAPTURE(items);
      const uint32_t l = p.register_local(items);
      CHECK(l % sg == 0);
      CHECK(l <= 64);
      const int64_t padded = (items + l - 1) / l * l;
      if (l > sg) CHECK((padded - items) * 8 <= padded);
    }
    CHECK(p.register_local(1 << 20) == 64);
  }
  // Without subgroup broadcast the register convolutions cannot run.
  DeviceCaps c = lavapipe_like();
  c.subgroup_operations = VK_SUBGROUP_FEATURE_BASIC_BIT;
  CHECK_FALSE(make_device_profile(c, env({})).subgroup_broadcast);
}

TEST_CASE("profile: local sizes never exceed the device's workgroup limit") {
  DeviceCaps c = gpu_like();
  c.max_workgroup_invocations = 128;  // the Vulkan minimum
  const DeviceProfile p = make_device_profile(c, env({}));
  CHECK(p.elementwise_local == 128);
  CHECK(p.loop_local == 128);
  CHECK(p.reduction_local == 128);
  CHECK(p.plane_local.x * p.plane_local.y <= 128);
}

TEST_CASE("profile: small-batch linear uses the matrix-vector kernel, 64-bit loads when asked and the device has them") {
  DeviceCaps c = lavapipe_like();
  DeviceProfile p = make_device_profile(c, env({}));
  CHECK(p.linear_gemv);
  CHECK_FALSE(p.linear_gemv_wide);  // no shaderInt64
  c.shader_int64 = true;
  p = make_device_profile(c, env({}));
  CHECK(p.linear_gemv);
  CHECK_FALSE(p.linear_gemv_wide);  // opt-in
  p = make_device_profile(c, env({{"VKNN_LINEAR", "gemv64"}}));
  CHECK(p.linear_gemv_wide);
  CHECK(p.warnings.empty());
  p = make_device_profile(c, env({{"VKNN_LINEAR", "gemv"}}));
  CHECK(p.linear_gemv);
  CHECK_FALSE(p.linear_gemv_wide);
  p = make_device_profile(c, env({{"VKNN_LINEAR", "matmul"}}));
  CHECK_FALSE(p.linear_gemv);
  CHECK(p.warnings.empty());
  p = make_device_profile(c, env({{"VKNN_LINEAR", "fast"}}));
  CHECK_FALSE(p.linear_gemv_wide);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("VKNN_LINEAR=fast") != std::string::npos);
  c.shader_int64 = false;
  p = make_device_profile(c, env({{"VKNN_LINEAR", "gemv64"}}));
  CHECK(p.linear_gemv);
  CHECK_FALSE(p.linear_gemv_wide);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("shaderInt64") != std::string::npos);
}

TEST_CASE("profile: 1x1 stride-1 convolutions run as a GEMM only with VKNN_CONV1X1=gemm") {
  DeviceCaps c = lavapipe_like();
  DeviceProfile p = make_device_profile(c, env({}));
  CHECK_FALSE(p.conv_1x1_gemm);
  p = make_device_profile(c, env({{"VKNN_CONV1X1", "gemm"}}));
  CHECK(p.conv_1x1_gemm);
  CHECK(p.warnings.empty());
  p = make_device_profile(c, env({{"VKNN_CONV1X1", "implicit"}}));
  CHECK_FALSE(p.conv_1x1_gemm);
  p = make_device_profile(c, env({{"VKNN_CONV1X1", "winograd"}}));
  CHECK_FALSE(p.conv_1x1_gemm);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("VKNN_CONV1X1=winograd") != std::string::npos);
}

TEST_CASE("profile: the autotuner is on unless VKNN_TUNE=off, and VKNN_CONV1X1 fixes the 1x1 choice") {
  CHECK(make_device_profile(lavapipe_like(), env({})).tune);
  DeviceProfile off = make_device_profile(lavapipe_like(), env({{"VKNN_TUNE", "off"}}));
  CHECK(!off.tune);
  off.tuned = TuneTable::open({}, {});  // a table the Context would set is not used when off
  CHECK(off.tuner() == nullptr);
  const DeviceProfile bad = make_device_profile(lavapipe_like(), env({{"VKNN_TUNE", "fast"}}));
  CHECK(bad.tune);
  REQUIRE(bad.warnings.size() == 1);
  CHECK(bad.warnings[0].find("VKNN_TUNE=fast") != std::string::npos);
  CHECK(!make_device_profile(lavapipe_like(), env({})).conv_1x1_explicit);
  CHECK(make_device_profile(lavapipe_like(), env({{"VKNN_CONV1X1", "implicit"}})).conv_1x1_explicit);
  CHECK(make_device_profile(lavapipe_like(), env({{"VKNN_CONV1X1", "gemm"}})).conv_1x1_explicit);
}

TEST_CASE("profile: 3x3 stride-1 convolutions are left to the tuner unless VKNN_CONV3X3 forces a path") {
  DeviceCaps c = lavapipe_like();
  DeviceProfile p = make_device_profile(c, env({}));
  CHECK(p.conv_3x3_winograd == 0);
  CHECK_FALSE(p.conv_3x3_explicit);
  p = make_device_profile(c, env({{"VKNN_CONV3X3", "winograd_f2"}}));
  CHECK(p.conv_3x3_winograd == 2);
  CHECK(p.conv_3x3_explicit);
  CHECK(p.warnings.empty());
  p = make_device_profile(c, env({{"VKNN_CONV3X3", "winograd_f4"}}));
  CHECK(p.conv_3x3_winograd == 4);
  p = make_device_profile(c, env({{"VKNN_CONV3X3", "direct"}}));
  CHECK(p.conv_3x3_winograd == 0);
  CHECK(p.conv_3x3_explicit);
  p = make_device_profile(c, env({{"VKNN_CONV3X3", "winograd"}}));
  CHECK(p.conv_3x3_winograd == 0);
  CHECK_FALSE(p.conv_3x3_explicit);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("VKNN_CONV3X3=winograd") != std::string::npos);
}

TEST_CASE("profile: softmax rows take a subgroup each where the device has subgroup arithmetic") {
  DeviceCaps c = lavapipe_like();
  CHECK_FALSE(make_device_profile(c, env({})).softmax_subgroup);  // basic and ballot only
  DeviceProfile p = make_device_profile(c, env({{"VKNN_SOFTMAX", "subgroup"}}));
  CHECK_FALSE(p.softmax_subgroup);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("no subgroup arithmetic") != std::string::npos);
  c.subgroup_operations |= VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
  CHECK(make_device_profile(c, env({})).softmax_subgroup);
  CHECK_FALSE(make_device_profile(c, env({{"VKNN_SOFTMAX", "invocation"}})).softmax_subgroup);
  p = make_device_profile(c, env({{"VKNN_SOFTMAX", "lanes"}}));
  CHECK(p.softmax_subgroup);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("VKNN_SOFTMAX=lanes") != std::string::npos);
  c.subgroup_in_compute = false;
  CHECK_FALSE(make_device_profile(c, env({})).softmax_subgroup);
}
