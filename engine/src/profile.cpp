#include "vknn/engine/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

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
    const char* v = read(o.variable);
    if (!v || !*v) continue;
    if (std::strcmp(v, o.register_value) == 0)
      p.forced[size_t(o.cls)] = KernelFamily::register_blocked;
    else if (std::strcmp(v, o.shared_value) == 0)
      p.forced[size_t(o.cls)] = KernelFamily::shared_tiled;
    else {
      p.warnings.push_back(fmt::format("{}={} ignored: expected {} or {}", o.variable, v, o.register_value,
                                       o.shared_value));
      continue;
    }
    p.notes.push_back(fmt::format("{}={}: forced {}", o.variable, v, kernel_family_name(*p.forced[size_t(o.cls)])));
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
  if (const char* v = read("VKNN_LINEAR"); v && *v) {
    if (std::strcmp(v, "matmul") == 0) {
      p.linear_gemv = false, p.linear_gemv_wide = false;
    } else if (std::strcmp(v, "gemv") == 0) {
      p.linear_gemv_wide = false;
    } else if (std::strcmp(v, "gemv64") != 0) {
      p.warnings.push_back(fmt::format("VKNN_LINEAR={} ignored: expected gemv64, gemv or matmul", v));
    } else if (!caps.shader_int64) {
      p.warnings.push_back("VKNN_LINEAR=gemv64 ignored: the device has no shaderInt64");
    } else {
      p.linear_gemv_wide = true;
    }
  }
  p.notes.push_back(!p.linear_gemv ? "linear at batch <= 8: matmul kernels (VKNN_LINEAR=matmul)"
                    : p.linear_gemv_wide ? "linear at batch <= 8: matrix-vector kernel, 64-bit loads"
                                         : "linear at batch <= 8: matrix-vector kernel, 32-bit loads");

  // 1x1 stride-1 convolutions: a plain GEMM (see DeviceProfile::conv_1x1_gemm), opt-in until
  // it is shown to win: interleaved on lavapipe (ResNet-50's 1x1 layers, `scripts/ab-bench.py
  // -- ops --filter "(1x1) conv2d_forward"`, loaded machine) two runs disagreed on every layer.
  p.conv_1x1_gemm = false;
  if (const char* v = read("VKNN_CONV1X1"); v && *v) {
    if (std::strcmp(v, "gemm") == 0)
      p.conv_1x1_gemm = p.conv_1x1_explicit = true;
    else if (std::strcmp(v, "implicit") == 0)
      p.conv_1x1_explicit = true;
    else
      p.warnings.push_back(fmt::format("VKNN_CONV1X1={} ignored: expected gemm or implicit", v));
  }
  p.notes.push_back(p.conv_1x1_gemm ? "1x1 stride-1 convolutions: GEMM on the matmul kernels (VKNN_CONV1X1=gemm)"
                                    : "1x1 stride-1 convolutions: the convolution kernels");

  // 3x3 stride-1 convolutions: Winograd where the autotuner times it fastest (DeviceProfile::
  // conv_3x3_winograd); VKNN_CONV3X3 forces a choice (for tests and A/B measurements).
  p.conv_3x3_winograd = 0;
  if (const char* v = read("VKNN_CONV3X3"); v && *v) {
    if (std::strcmp(v, "winograd_f2") == 0)
      p.conv_3x3_winograd = 2, p.conv_3x3_explicit = true;
    else if (std::strcmp(v, "winograd_f4") == 0)
      p.conv_3x3_winograd = 4, p.conv_3x3_explicit = true;
    else if (std::strcmp(v, "direct") == 0)
      p.conv_3x3_explicit = true;
    else
      p.warnings.push_back(fmt::format("VKNN_CONV3X3={} ignored: expected winograd_f2, winograd_f4 or direct", v));
  }
  p.notes.push_back(!p.conv_3x3_explicit    ? "3x3 stride-1 convolutions: Winograd where the autotuner times it faster"
                    : p.conv_3x3_winograd ? fmt::format("3x3 stride-1 convolutions: Winograd F({},3) (VKNN_CONV3X3)",
                                                        p.conv_3x3_winograd)
                                          : "3x3 stride-1 convolutions: the direct kernels (VKNN_CONV3X3=direct)");

  // Softmax rows: a subgroup per contiguous row where subgroup arithmetic exists (see
  // DeviceProfile::softmax_subgroup).
  const bool arithmetic = caps.subgroup_in_compute && (caps.subgroup_operations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
  p.softmax_subgroup = arithmetic;
  if (const char* v = read("VKNN_SOFTMAX"); v && *v) {
    if (std::strcmp(v, "invocation") == 0)
      p.softmax_subgroup = false;
    else if (std::strcmp(v, "subgroup") != 0)
      p.warnings.push_back(fmt::format("VKNN_SOFTMAX={} ignored: expected subgroup or invocation", v));
    else if (!arithmetic)
      p.warnings.push_back("VKNN_SOFTMAX=subgroup ignored: the device has no subgroup arithmetic in compute shaders");
  }
  p.notes.push_back(p.softmax_subgroup ? "softmax over contiguous rows: one subgroup per row"
                                       : "softmax: one invocation per row");

  // The autotuner, on unless VKNN_TUNE=off.
  p.tune = true;
  if (const char* v = read("VKNN_TUNE"); v && *v) {
    if (std::strcmp(v, "off") == 0)
      p.tune = false;
    else if (std::strcmp(v, "on") != 0)
      p.warnings.push_back(fmt::format("VKNN_TUNE={} ignored: expected on or off", v));
  }
  p.notes.push_back(p.tune ? "autotuner: on (variants timed at a shape's first use, kept per device and driver; "
                             "an explicit VKNN_<CLASS> or VKNN_CONV1X1 fixes its choice)"
                           : "autotuner: off (VKNN_TUNE=off)");
  return p;
}

}  // namespace vknn
