// The finite-difference driver of the op cases: for every tested case that declares
// gradients and is small enough, d loss / d input from the reference against central
// differences of the loss through the same reference, in double. The inputs are the case's
// own initial contents without its `special` values (kinks, where a derivative is a convention).
#include "case_reference.h"

#include <doctest/doctest.h>

#include <set>

namespace vknn::ref {
namespace {

// Central differences cost two reference runs per element of the differentiated inputs.
constexpr int64_t kMaxElements = 2048;

std::set<std::string>& registered() {
  static std::set<std::string> ops;
  return ops;
}

}  // namespace

bool register_gradient_check(const char* op) { return registered().insert(op).second; }

void check_case_gradients(const std::string& op, CaseReference ref) {
  int checked = 0;
  for (const cases::OpCase& c : cases::op_cases(op, 1)) {
    if (!c.test || c.gradients.empty()) continue;
    int64_t elements = 0;
    for (const auto& g : c.gradients) elements += c.shape(g.input).numel();
    if (elements > kMaxElements) continue;
    CAPTURE(c.title());
    const Tensors init = to_double(cases::initial_contents(c, false));
    const Tensors base = ref(c, init);
    auto loss = [&](const Tensors& in) {
      const Tensors out = ref(c, in);
      double l = 0;
      for (const auto& term : c.loss) {
        const Vec& y = out.at(term.output);
        if (term.weight.empty())
          for (double v : y) l += v;
        else
          l += dot(y, in.at(term.weight));
      }
      return l;
    };
    for (const auto& g : c.gradients) {
      CAPTURE(g.input);
      Tensors in = init;
      const Vec numeric = numeric_gradient(
          [&](const Vec& v) {
            in[g.input] = v;
            return loss(in);
          },
          init.at(g.input));
      const Vec& analytic = base.at(g.expect);
      REQUIRE(analytic.size() == numeric.size());
      CHECK(max_violation(analytic, numeric, 1e-7, 1e-6) == 0.0);
    }
    ++checked;
  }
  CHECK_MESSAGE(checked > 0, op << ": no case small enough for central differences declares gradients");
}

}  // namespace vknn::ref

TEST_CASE("reference: every op whose cases declare gradients has its central-difference check") {
  for (const std::string& op : vknn::cases::op_names()) {
    bool has_gradients = false;
    for (const auto& c : vknn::cases::op_cases(op, 1)) has_gradients |= c.test && !c.gradients.empty();
    if (has_gradients)
      CHECK_MESSAGE(vknn::ref::registered().count(op) == 1,
                    op << " declares gradients: add VKNN_CHECK_CASE_GRADIENTS(" << op
                       << ", ...) to tests/reference/test_" << op << "_reference.cpp");
  }
}
