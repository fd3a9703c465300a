// Every per-device choice vknn's kernels make, resolved once when a Context is made:
// which family of kernels suits the device, workgroup sizes by kernel class, the driver's
// loop limit, the subgroup size, and the kernel choices a user forced from the environment.
// Ops read it through `cl.context().profile()`; no op looks at the device type or the
// environment itself. `make_device_profile` is a pure function of the capabilities and the
// environment, so it is tested without a device.
#pragma once

#include "vknn/engine/caps.h"
#include "vknn/engine/tuning.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vknn {

// Two ways of spreading a kernel's work over invocations.
enum class KernelFamily : uint8_t {
  // Each invocation loops over a block of outputs kept in registers: few invocations, long
  // loops, no barrier and no shared memory. Suits CPU drivers, where a workgroup's
  // invocations are the SIMD lanes of one thread, so barriers and shared memory are slow
  // and every invocation costs a fixed overhead (matmul on lavapipe: 15 GFLOP/s against
  // 2.8 for shared-memory tiles).
  register_blocked,
  // Many invocations per block of outputs, cooperating through shared memory, or one
  // invocation per element. Suits GPUs.
  shared_tiled,
};
const char* kernel_family_name(KernelFamily f);

// Op classes whose family a user may force from the environment, read once per Context:
//   VKNN_CONV=register|shared  VKNN_MATMUL=register|shared
//   VKNN_LRN=column|element    VKNN_BATCHNORM=channel|elementwise
// (the first value of each pair is register_blocked, the second shared_tiled).
enum class KernelClass : uint8_t { conv, matmul, lrn, batchnorm };
inline constexpr size_t kKernelClassCount = 4;

struct LocalSize2d {
  uint32_t x = 1, y = 1;
};

struct DeviceProfile {
  // The family that suits the device, and per op class what the environment forced.
  KernelFamily preferred = KernelFamily::shared_tiled;
  std::array<std::optional<KernelFamily>, kKernelClassCount> forced{};
  // The family to use for an op class: the forced one, else the device's.
  KernelFamily family(KernelClass c) const { return forced[size_t(c)].value_or(preferred); }
  bool is_forced(KernelClass c) const { return forced[size_t(c)].has_value(); }

  // Subgroups. The register-blocked convolutions broadcast within a subgroup; without
  // subgroupBroadcast in compute shaders (or with a subgroup wider than they handle) they
  // cannot run, and `subgroup_broadcast` is false.
  uint32_t subgroup_size = 1;
  bool subgroup_broadcast = false;

  // Workgroup sizes by kernel class (specialization constant 0 of the shader):
  // one invocation per element (add, relu, sgd, dropout, concat, ...).
  uint32_t elementwise_local = 256;
  // Each invocation runs a loop of its own over a short axis: a pixel column's channels
  // (LRN), a plane (global pooling), the partial sums of a split reduction.
  uint32_t loop_local = 256;
  // One workgroup per channel whose invocations stream a strided share into registers and
  // end in a tree in shared memory (batch norm, a convolution's bias gradient); a power of two.
  uint32_t reduction_local = 256;
  // One invocation per element of an image plane, 2-D (pooling).
  LocalSize2d plane_local{32, 8};
  // The register-blocked kernels: a multiple of the subgroup size up to 64 that leaves at
  // most 1/8 of the last workgroup idle for `items` invocations.
  uint32_t register_local(int64_t items) const;

  // Fully connected forward at batch <= 8: a matrix-vector kernel (else the matmul
  // kernels), reading 64-bit elements where `linear_gemv_wide` (needs shaderInt64).
  // VKNN_LINEAR=gemv64|gemv|matmul overrides.
  bool linear_gemv = true;
  bool linear_gemv_wide = false;

  // 1x1 convolutions with stride 1, no padding and one group run as a plain GEMM per image,
  // Y(K, H*W) = W(K, C) * X(C, H*W), on the matmul kernels (no im2col indexing); else on the
  // convolution kernels (the default: the GEMM has not been shown faster on lavapipe).
  // VKNN_CONV1X1=gemm|implicit overrides.
  bool conv_1x1_gemm = false;
  bool conv_1x1_explicit = false;  // VKNN_CONV1X1 was set: the tuner leaves the choice alone

  // 3x3 stride-1 convolutions with one group: Winograd F(2,3) or F(4,3) (2 or 4, the output
  // tile's edge; graph/src/ops/conv2d_winograd.h) or the direct kernels (0). Unset, the
  // autotuner times both Winograd tiles against the direct kernels; without the tuner the
  // direct kernels run. VKNN_CONV3X3=winograd_f2|winograd_f4|direct forces the choice.
  int conv_3x3_winograd = 0;
  bool conv_3x3_explicit = false;  // VKNN_CONV3X3 was set: the tuner leaves the choice alone

  // Softmax over rows of contiguous elements (the axis is the last, or the flattened form):
  // one subgroup per row, its lanes striding along the row and reducing with subgroupMax and
  // subgroupAdd, where the device has subgroup arithmetic in compute shaders; else (and for
  // rows strided through memory, a channel softmax) one invocation per row.
  // VKNN_SOFTMAX=subgroup|invocation overrides (subgroup only where the device can).
  bool softmax_subgroup = false;

  // The autotuner (tuning.h): ops with variants time them at the first use of a shape and keep
  // the fastest in `tuned`, unless the variant was asked for (VKNN_<CLASS>, VKNN_CONV1X1, an
  // op's explicit variant). VKNN_TUNE=off disables it: the defaults above then hold. `tuned` is
  // set by the Context (null where tuning is off, or for a profile made without one).
  bool tune = true;
  std::shared_ptr<TuneTable> tuned;
  TuneTable* tuner() const { return tune ? tuned.get() : nullptr; }

  // Loop iterations after which the driver silently ends every loop of an invocation (the
  // count is shared by all loops of the shader), 0 where there is no such limit; and the
  // iterations per invocation a kernel's plan aims for (well below the limit, and a bound on
  // one invocation's serial work elsewhere).
  uint32_t loop_limit = 0;
  uint32_t loop_budget = 32768;
  // Whether `iterations` (the sum over an invocation's loops) run to the end on this driver,
  // with a margin for the loops a kernel runs besides its main ones.
  bool loop_fits(int64_t iterations) const {
    return loop_limit == 0 || iterations <= int64_t(loop_limit) - 1024;
  }

  // One line per choice, saying what was chosen and why (for `vknn devices` and logs);
  // and the environment values that were refused (unknown values are ignored, not fatal).
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
};

// Reads an environment variable; null when unset. The default reads the process environment.
using EnvironmentReader = std::function<const char*(const char*)>;

// The profile of a device with these capabilities under this environment.
DeviceProfile make_device_profile(const DeviceCaps& caps, const EnvironmentReader& env = {});

}  // namespace vknn
