#include "vknn/engine/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace vknn {
namespace {

struct Override {
  KernelClass cls;
  const char* variable;
  const char* register_value;  // selects KernelFamily::register_blocked
  const char* shared_value;    // selects KernelFamily::shared_tiled
};

constexpr Override kOverrides[] = {
    {KernelClass::conv, "VKNN_CONV", "register", "shared"},
    {KernelClass::matmul, "VKNN_MATMUL", "register", "shared"},
    {KernelClass::lrn, "VKNN_LRN", "column", "element"},
    {KernelClass::batchnorm, "VKNN_BATCHNORM", "channel", "elementwise"},
};

// The index of variable's value among `values`, or -1 when the variable is unset or empty. Any
// other value is ignored with a warning that names it and the accepted ones.
int read_choice(const EnvironmentReader& read, const char* variable, std::initializer_list<const char*> values,
                std::vector<std::string>& warnings) {
  const char* v = read(variable);
  if (!v || !*v) return -1;
  int i = 0;
  for (const char* value : values) {
    if (std::strcmp(v, value) == 0) return i;
    ++i;
  }
  std::string expected;
  i = 0;
  for (const char* value : values) {
    expected += i == 0 ? "" : i + 1 == int(values.size()) ? " or " : ", ";
    expected += value;
    ++i;
  }
  warnings.push_back(fmt::format("{}={} ignored: expected {}", variable, v, expected));
  return -1;
}

}  // namespace

const char* kernel_family_name(KernelFamily f) {
  return f == KernelFamily::register_blocked ? "register-blocked" : "shared-tiled";
}

uint32_t DeviceProfile::register_local(int64_t items) const {
  const uint32_t sg = std::max(1u, subgroup_size);
  uint32_t best = sg;
  for (uint32_t lx = sg; lx <= 64; lx *= 2) {
    const int64_t padded = (items + lx - 1) / lx * lx;
    if ((padded - items) * 8 <= padded) best = lx;  // at most 1/8 of the last group idle
  }
  return best;
}

DeviceProfile make_device_profile(const DeviceCaps& caps, const EnvironmentReader& env) {
  DeviceProfile p;
  const bool cpu = caps.type == VK_PHYSICAL_DEVICE_TYPE_CPU;

  // CPU drivers (lavapipe, SwiftShader) run a workgroup's invocations as the SIMD lanes of
  // one thread, switching between them as coroutines at barriers: register blocking
  // vectorizes, shared-memory tiles and barriers cost more than they save.
  p.preferred = cpu ? KernelFamily::register_blocked : KernelFamily::shared_tiled;
  p.notes.push_back(fmt::format("kernels: {} ({})", kernel_family_name(p.preferred),
                                cpu ? "a CPU device: invocations are SIMD lanes of one thread" : "a GPU"));

  const EnvironmentReader read = env ? env : EnvironmentReader([](const char* n) { return std::getenv(n); });
  for (const Override& o : kOverrides) {
    const int c = read_choice(read, o.variable, {o.register_value, o.shared_value}, p.warnings);
    if (c < 0) continue;
    p.forced[size_t(o.cls)] = c == 0 ? KernelFamily::register_blocked : KernelFamily::shared_tiled;
    p.notes.push_back(fmt::format("{}={}: forced {}", o.variable, c == 0 ? o.register_value : o.shared_value,
                                  kernel_family_name(*p.forced[size_t(o.cls)])));
  }

  p.subgroup_size = std::max(1u, caps.subgroup_size);
  // The register convolutions use subgroupBroadcast and keep up to 64 lanes' values.
  p.subgroup_broadcast = caps.subgroup_in_compute && (caps.subgroup_operations & VK_SUBGROUP_FEATURE_BALLOT_BIT) &&
                         caps.subgroup_size >= 1 && caps.subgroup_size <= 64;

  // Local sizes. Element-wise: 256 on both kinds (on lavapipe, 2 cores, sgd over 37.7M
  // floats took 124 ms at 256 against 137 ms at 64; GPUs like 256 too). Loops and
  // reductions per invocation: small groups on CPU drivers keep the few barriers of a
  // final tree cheap while each lane's loop streams; a full 256 on GPUs. 2-D planes: eight
  // SIMD lanes along x on CPU drivers, a warp-wide row on GPUs.
  p.elementwise_local = 256;
  p.loop_local = cpu ? 64 : 256;
  p.reduction_local = cpu ? 64 : 256;
  p.plane_local = cpu ? LocalSize2d{8, 8} : LocalSize2d{32, 8};
  const uint32_t max_inv = caps.max_workgroup_invocations ? caps.max_workgroup_invocations : 128;
  for (uint32_t* l : {&p.elementwise_local, &p.loop_local, &p.reduction_local})
    *l = std::min(*l, std::bit_floor(max_inv));
  while (p.plane_local.x * p.plane_local.y > max_inv && p.plane_local.y > 1) p.plane_local.y /= 2;
  p.notes.push_back(fmt::format("local sizes: element-wise {}, loop {}, reduction {}, plane {}x{}, subgroup {}",
                                p.elementwise_local, p.loop_local, p.reduction_local, p.plane_local.x,
                                p.plane_local.y, p.subgroup_size));

  // Mesa's gallivm (llvmpipe, and lavapipe on it) counts the iterations of all loops of a
  // shader invocation together and silently leaves them once the count reaches
  // LP_MAX_TGSI_LOOP_ITERATIONS = 65535 (src/gallium/auxiliary/gallivm/lp_bld_limits.h,
  // the loop limiter of lp_bld_ir_common.c), so longer loops would compute wrong results.
  if (caps.driver_id == VK_DRIVER_ID_MESA_LLVMPIPE) {
    p.loop_limit = 65535;
    p.notes.push_back("loop limit 65535 iterations per invocation (Mesa gallivm's loop limiter)");
  }
  p.loop_budget = 32768;

  // Small-batch fully connected layers stream their weights once: a matrix-vector kernel.
  // lavapipe loads a storage-buffer element one lane and one 32- or 64-bit element at a
  // time (Mesa 22.3 gallivm, emit_load_mem in lp_bld_nir_soa.c), so 64-bit elements halve
  // its loads; GPUs read the rows coalesced either way. The 64-bit variant is opt-in
  // (VKNN_LINEAR=gemv64) until its different summation order is understood in training: in the
  // resnet18 ONNX training check it moves conv1's step-2 gradient 0.85% from PyTorch's, where
  // the 32-bit kernel and matmul stay within 1.4e-5.
  p.linear_gemv = true;
  p.linear_gemv_wide = false;
  switch (read_choice(read, "VKNN_LINEAR", {"gemv64", "gemv", "matmul"}, p.warnings)) {
    case 0:
      if (caps.shader_int64)
        p.linear_gemv_wide = true;
      else
        p.warnings.push_back("VKNN_LINEAR=gemv64 ignored: the device has no shaderInt64");
      break;
    case 2: p.linear_gemv = false; break;
    default: break;  // gemv, the default
  }
  p.notes.push_back(!p.linear_gemv ? "linear at batch <= 8: matmul kernels (VKNN_LINEAR=matmul)"
                    : p.linear_gemv_wide ? "linear at batch <= 8: matrix-vector kernel, 64-bit loads"
                                         : "linear at batch <= 8: matrix-vector kernel, 32-bit loads");

  // 1x1 stride-1 convolutions: a plain GEMM (see DeviceProfile::conv_1x1_gemm), opt-in until
  // it is shown to win: interleaved on lavapipe (ResNet-50's 1x1 layers, `scripts/ab-bench.py
  // -- ops --filter "(1x1) conv2d_forward"`, loaded machine) two runs disagreed on every layer.
  p.conv_1x1_gemm = false;
  if (const int c = read_choice(read, "VKNN_CONV1X1", {"gemm", "implicit"}, p.warnings); c >= 0)
    p.conv_1x1_gemm = c == 0, p.conv_1x1_explicit = true;
  p.notes.push_back(p.conv_1x1_gemm ? "1x1 stride-1 convolutions: GEMM on the matmul kernels (VKNN_CONV1X1=gemm)"
                                    : "1x1 stride-1 convolutions: the convolution kernels");

  // 3x3 stride-1 convolutions: Winograd where the autotuner times it fastest (DeviceProfile::
  // conv_3x3_winograd); VKNN_CONV3X3 forces a choice (for tests and A/B measurements).
  p.conv_3x3_winograd = 0;
  if (const int c = read_choice(read, "VKNN_CONV3X3", {"winograd_f2", "winograd_f4", "direct"}, p.warnings); c >= 0)
    p.conv_3x3_winograd = c == 0 ? 2 : c == 1 ? 4 : 0, p.conv_3x3_explicit = true;
  p.notes.push_back(!p.conv_3x3_explicit    ? "3x3 stride-1 convolutions: Winograd where the autotuner times it faster"
                    : p.conv_3x3_winograd ? fmt::format("3x3 stride-1 convolutions: Winograd F({},3) (VKNN_CONV3X3)",
                                                        p.conv_3x3_winograd)
                                          : "3x3 stride-1 convolutions: the direct kernels (VKNN_CONV3X3=direct)");

  // Softmax rows: a subgroup per contiguous row where subgroup arithmetic exists (see
  // DeviceProfile::softmax_subgroup).
  const bool arithmetic = caps.subgroup_in_compute && (caps.subgroup_operations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
  p.softmax_subgroup = arithmetic;
  switch (read_choice(read, "VKNN_SOFTMAX", {"subgroup", "invocation"}, p.warnings)) {
    case 0:
      if (!arithmetic)
        p.warnings.push_back("VKNN_SOFTMAX=subgroup ignored: the device has no subgroup arithmetic in compute shaders");
      break;
    case 1: p.softmax_subgroup = false; break;
    default: break;
  }
  p.notes.push_back(p.softmax_subgroup ? "softmax over contiguous rows: one subgroup per row"
                                       : "softmax: one invocation per row");

  // The autotuner, on unless VKNN_TUNE=off.
  p.tune = read_choice(read, "VKNN_TUNE", {"on", "off"}, p.warnings) != 1;
  p.notes.push_back(p.tune ? "autotuner: on (variants timed at a shape's first use, kept per device and driver; "
                             "an explicit VKNN_<CLASS> or VKNN_CONV1X1 fixes its choice)"
                           : "autotuner: off (VKNN_TUNE=off)");
  return p;
}

}  // namespace vknn
