#include "vknn/engine/probe.h"

#include "vknn/engine/result.h"

namespace vknn {
namespace {

struct FmaPush {  // mirrors shaders/probe_fma.comp
  uint32_t invocations, iterations;
  float mul, add;
};
static_assert(sizeof(FmaPush) == 16);

struct CopyPush {  // mirrors shaders/probe_copy.comp
  uint32_t count;
};
static_assert(sizeof(CopyPush) == 4);

uint32_t groups(uint64_t n, uint32_t local) { return uint32_t((n + local - 1) / local); }

}  // namespace

Status record_probe_fma(CommandList& cl, const FmaProbe& p, const BufferRef& sums) {
  if (p.invocations == 0 || p.iterations == 0)
    return make_error(Errc::invalid_argument, "probe_fma: invocations {} and iterations {} must be positive",
                      p.invocations, p.iterations);
  if (!cl.context().profile().loop_fits(p.iterations))
    return make_error(Errc::invalid_argument,
                      "probe_fma: {} iterations pass the driver's loop limit of {} (DeviceProfile::loop_limit)",
                      p.iterations, cl.context().profile().loop_limit);
  if (!sums.valid() || sums.size < uint64_t(p.invocations) * 4)
    return make_error(Errc::invalid_argument, "probe_fma: sums holds {} floats, {} invocations need one each",
                      sums.size / 4, p.invocations);
  const uint32_t local = cl.context().profile().elementwise_local;
  const uint32_t spec[] = {local};
  cl.dispatch(ShaderId::probe_fma, spec, {{sums, Access::write}}, FmaPush{p.invocations, p.iterations, p.mul, p.add},
              groups(p.invocations, local));
  return {};
}

Status record_probe_copy(CommandList& cl, const BufferRef& src, const BufferRef& dst, bool wide) {
  if (wide && !cl.context().caps().shader_int64)
    return make_error(Errc::unsupported, "probe_copy: 64-bit elements need shaderInt64, which the device lacks");
  if (!src.valid() || !dst.valid() || src.size != dst.size || src.size == 0 || src.size % 16 != 0)
    return make_error(Errc::invalid_argument,
                      "probe_copy: src ({} bytes) and dst ({} bytes) must be equal, non-empty multiples of 16",
                      src.size, dst.size);
  const uint64_t count = src.size / 16;
  if (count > UINT32_MAX) return make_error(Errc::invalid_argument, "probe_copy: {} bytes is too large", src.size);
  const uint32_t local = cl.context().profile().elementwise_local;
  const uint32_t spec[] = {local};
  cl.dispatch(wide ? ShaderId::probe_copy_wide : ShaderId::probe_copy, spec, {{src, Access::read}, {dst, Access::write}}, CopyPush{uint32_t(count)},
              groups(count, local));
  return {};
}

}  // namespace vknn
