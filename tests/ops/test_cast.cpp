// Cast on the device: every case of graph/cases/ops/cast.cpp against the fp16 rounding
// reference, and refused inputs.
#include "op_cases.h"
#include "reference/cast.h"

#include "vknn/ops/cast.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(cast, ref::cast_case_outputs)

TEST_CASE("cast: refused inputs name the op, the shapes and the types") {
  auto x = make_tensor({2, 3}), y = make_tensor({2, 3}), other = make_tensor({3, 2});
  const TensorView x16{.buffer = x.view().buffer, .shape = x.view().shape, .dtype = DType::f16};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_cast(*cl, x.view(), y.view()), "cast", {"f32", "expected one f32 and one f16"});
  check_refused(record_cast(*cl, x16, x16), "cast", {"f16"});
  check_refused(record_cast(*cl, x.view(), TensorView{.buffer = other.view().buffer, .shape = other.view().shape, .dtype = DType::f16}), "cast",
                {"y", "(3,2)", "(2,3)"});
  check_refused(record_cast(*cl, x.view(), TensorView{.buffer = x.view().buffer, .shape = x.view().shape, .dtype = DType::f16}), "cast",
                {"overlap"});
}

TEST_CASE("cast: the graph builder refuses what is not a float conversion") {
  Graph g;
  const TensorId x = g.input("x", {2, 3});
  const TensorId labels = g.input("labels", {2}, DType::i32);
  CHECK(cast(g, x, DType::f16).valid());
  CHECK(!cast(g, labels, DType::f16).valid());
  REQUIRE(!g.ok());
  CHECK(g.status().error().message.find("i32") != std::string::npos);
}
