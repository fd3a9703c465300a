// The device driver of the op cases, and shader coverage: every embedded shader is claimed
// by a tested case of an op whose reference is attached, or is named below with the suite
// that checks it outside the op cases.
#include "op_cases.h"

#include "vknn/engine/dispatch_trace.h"

#include <cstdlib>
#include <map>
#include <set>

using namespace vknn;
using namespace vknn::test;

namespace vknn::test {
namespace {

std::set<std::string>& registered() {
  static std::set<std::string> ops;
  return ops;
}

std::string shader_list(const std::set<ShaderId>& ids) {
  std::string s;
  for (ShaderId id : ids) s += std::string(s.empty() ? "" : ", ") + shader_name(id);
  return s.empty() ? "none" : s;
}

void check_case(const cases::OpCase& c, ref::CaseReference reference) {
  CAPTURE(c.title());
  const auto contents = cases::initial_contents(c);
  auto tensors = cases::upload(gpu(), c, contents);
  REQUIRE_OK(tensors);
  DispatchTrace trace;
  run_recorded([&](CommandList& cl) { REQUIRE_OK(cases::record_steps(cl, c, tensors->views, 0, c.steps.size())); });
  // The reference's inputs: the initial contents, and the outputs it takes as the device left them.
  ref::Tensors inputs = ref::to_double(contents);
  for (const std::string& name : c.device_outputs) {
    const TensorView& v = tensors->views.at(name);
    const auto got = read_back(v.buffer, size_t(v.shape.numel()));
    inputs[cases::device_output(name)] = ref::Vec(got.begin(), got.end());
  }
  const ref::Tensors want = reference(c, inputs);
  for (const cases::Check& k : c.checks) {
    const TensorView& v = tensors->views.at(k.tensor);
    const auto got = read_back(v.buffer, size_t(v.shape.numel()));
    const std::string what = c.title() + ": " + k.tensor;
    const auto& expect = want.at(k.expect);
    if (k.exact_int32) {
      const auto ints = ref::as_int32(got);
      REQUIRE(ints.size() == expect.size());
      size_t wrong = 0;
      for (size_t i = 0; i < ints.size(); ++i) wrong += double(ints[i]) != expect[i];
      CHECK_MESSAGE(wrong == 0, what << ": " << wrong << " of " << ints.size() << " indices differ");
    } else {
      const std::vector<size_t> idx = cases::checked_indices(c, k);
      std::vector<float> got_at(idx.size());
      std::vector<double> want_at(idx.size());
      const std::vector<float>& initial = contents.at(k.tensor);
      for (size_t i = 0; i < idx.size(); ++i) {
        got_at[i] = got[idx[i]];
        want_at[i] = expect[idx[i]] + (k.accumulate ? double(initial[idx[i]]) : 0.0);
      }
      check_close(got_at, want_at, {k.tol.abs, k.tol.rel},
                  idx.size() == got.size() ? what : what + " (" + std::to_string(idx.size()) + " sampled elements)");
    }
  }
  const std::set<ShaderId> ran(trace.shaders().begin(), trace.shaders().end());
  const std::vector<ShaderId> claims = cases::claimed_shaders(c, gpu());
  const std::set<ShaderId> claimed(claims.begin(), claims.end());
  if (c.shaders_on && !c.shaders.empty()) {
    const std::set<ShaderId> any_profile(c.shaders.begin(), c.shaders.end());
    for (ShaderId id : claimed)
      CHECK_MESSAGE(any_profile.count(id) == 1, c.title() << " claims " << shader_name(id)
                                                          << " on this device but not in its shaders");
  }
  CHECK_MESSAGE(ran == claimed, c.title() << " dispatched " << shader_list(ran) << " but claims "
                                          << shader_list(claimed));
}

}  // namespace

bool register_device_reference(const char* op) { return registered().insert(op).second; }

void check_cases_on_device(const std::string& op, ref::CaseReference reference, bool layers,
                           const std::function<bool(const cases::OpCase&)>& select) {
  // VKNN_CASES_MATCHING=TEXT: only the cases whose title contains TEXT (a rerun of the cases a
  // device setting concerns, tests/CMakeLists.txt).
  const char* matching = std::getenv("VKNN_CASES_MATCHING");
  int ran = 0;
  for (const cases::OpCase& c : cases::op_cases(op, 1)) {
    if (!c.test || c.model.empty() == layers || (select && !select(c))) continue;
    if (matching && c.title().find(matching) == std::string::npos) continue;
    check_case(c, reference);
    ++ran;
  }
  CHECK_MESSAGE(ran > 0, op << " has no tested case " << (layers ? "at a real layer" : "at odd shapes"));
}

}  // namespace vknn::test

namespace {

// Shaders checked against a reference outside the op cases, with the suite that does it.
// An op's shaders belong in its case file instead; this table only shrinks.
const std::map<std::string, std::string> kCheckedElsewhere = {
    {"engine_test_axpb", "tests/engine/test_commands.cpp"},
    {"probe_fma", "tests/engine/test_probes.cpp"},
    {"probe_copy", "tests/engine/test_probes.cpp"},
    {"probe_copy_wide", "tests/engine/test_probes.cpp"},
    {"conv2d_forward_register_f16", "tests/ops/test_conv2d_f16.cpp"},
};

}  // namespace

TEST_CASE("coverage: every shader is claimed by a tested case whose op has its reference attached") {
  std::set<std::string> claimed;
  for (const cases::OpCase& c : cases::all_cases(1)) {
    if (!c.test) continue;
    CHECK_MESSAGE(registered().count(c.op) == 1, c.op << " has cases: add VKNN_CASES_ON_DEVICE(" << c.op
                                                      << ", ...) to tests/ops/test_" << c.op << ".cpp");
    for (ShaderId id : cases::claimed_shaders(c, gpu())) claimed.insert(shader_name(id));
    for (ShaderId id : c.shaders) claimed.insert(shader_name(id));  // kernels of other profiles too
  }
  for (uint32_t i = 0; i < kShaderCount; ++i) {
    const std::string name = shader_name(ShaderId(i));
    CAPTURE(name);
    const bool elsewhere = kCheckedElsewhere.count(name) == 1;
    CHECK_MESSAGE(claimed.count(name) + elsewhere == 1,
                  (elsewhere ? "claimed by a case: remove it from kCheckedElsewhere"
                             : "no tested case claims it: add it to the shaders of the case that dispatches it"));
  }
  for (const auto& [name, where] : kCheckedElsewhere) {
    bool exists = false;
    for (uint32_t i = 0; i < kShaderCount; ++i) exists |= name == shader_name(ShaderId(i));
    CHECK_MESSAGE(exists, name << " is not a shader (any more): remove it from kCheckedElsewhere");
  }
}
