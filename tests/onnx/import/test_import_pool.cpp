// What MaxPool, AveragePool and GlobalMaxPool become in the graph (no device): the pads
// [top,left,bottom,right] as given or as auto_pad SAME_UPPER / SAME_LOWER computes them,
// dilations, the whole-image window of GlobalMaxPool, and the refusals that name what vknn
// cannot express. Their numbers are checked on the device by ONNX's node tests
// (maxpool_2d_pads, _same_lower, _same_upper, _dilations, averagepool_2d_pads, ...) and the
// export round trip (tests/onnx/test_export.cpp).
#include "import_checks.h"
#include "model_builder.h"
#include "vknn/onnx/import.h"
#include "vknn/ops/avgpool.h"
#include "vknn/ops/maxpool.h"

#include <doctest/doctest.h>

using namespace vknn;
using vknn::test::check_error;
using vknn::test::count_nodes;
using vknn::test::import;
using vknn::test::OnnxBuilder;

namespace {

struct Attr {
  std::string name;
  std::vector<int64_t> ints;  // a single INT where `scalar`
  bool scalar = false;
};

// x (N,2,H,W) -> op with `attrs` (and auto_pad unless empty) -> y; opset 13.
OnnxBuilder pool(const std::string& op, std::vector<int64_t> x, const std::vector<Attr>& attrs,
                 const std::string& auto_pad = "") {
  OnnxBuilder b(13);
  b.input("x", std::move(x));
  auto& n = b.node(op, {"x"}, {"y"}, "pool");
  for (const Attr& a : attrs) {
    if (a.scalar)
      OnnxBuilder::attr(n, a.name, a.ints[0]);
    else
      OnnxBuilder::attr(n, a.name, a.ints);
  }
  if (!auto_pad.empty()) {
    auto* ap = n.add_attribute();
    ap->set_name("auto_pad");
    ap->set_type(::onnx::AttributeProto::STRING);
    ap->set_s(auto_pad);
  }
  b.output("y");
  return b;
}

// The only node's max pooling parameters, and the output shape at batch 1.
struct Imported {
  Pool2dParams p;
  Shape y;
};

Imported maxpool_of(const OnnxBuilder& b) {
  auto m = import(b);
  REQUIRE_MESSAGE(m.ok(), m.error().message);
  const Graph& g = m->model.graph;
  REQUIRE(g.nodes().size() == 1);
  const Pool2dParams* p = maxpool_params(g.nodes()[0]);
  REQUIRE(p);
  return {*p, g.shape(m->outputs[0].id)};
}

}  // namespace

TEST_CASE("MaxPool: auto_pad SAME_UPPER puts the odd pad at the end, SAME_LOWER at the start") {
  // 7x6, kernel 3, stride 2: out ceil(7/2) = 4 (total pad (4-1)*2+3-7 = 2), ceil(6/2) = 3 (total 1).
  const Imported upper = maxpool_of(pool("MaxPool", {-1, 2, 7, 6}, {{"kernel_shape", {3, 3}}, {"strides", {2, 2}}},
                                         "SAME_UPPER"));
  CHECK(upper.y == Shape{1, 2, 4, 3});
  CHECK(upper.p.pad_h == 1);
  CHECK(upper.p.pad_end_h() == 1);
  CHECK(upper.p.pad_w == 0);
  CHECK(upper.p.pad_end_w() == 1);
  const Imported lower = maxpool_of(pool("MaxPool", {-1, 2, 7, 6}, {{"kernel_shape", {3, 3}}, {"strides", {2, 2}}},
                                         "SAME_LOWER"));
  CHECK(lower.y == Shape{1, 2, 4, 3});
  CHECK(lower.p.pad_w == 1);
  CHECK(lower.p.pad_end_w() == 0);
  const Imported valid = maxpool_of(pool("MaxPool", {-1, 2, 7, 6}, {{"kernel_shape", {3, 3}}, {"strides", {2, 2}}},
                                         "VALID"));
  CHECK(valid.y == Shape{1, 2, 3, 2});
}

TEST_CASE("MaxPool: explicit asymmetric pads up to the kernel less one, and dilations") {
  const Imported a = maxpool_of(pool("MaxPool", {-1, 2, 5, 5}, {{"kernel_shape", {3, 3}}, {"pads", {2, 0, 1, 2}}}));
  CHECK(a.p.pad_h == 2);
  CHECK(a.p.pad_w == 0);
  CHECK(a.p.pad_end_h() == 1);
  CHECK(a.p.pad_end_w() == 2);
  CHECK(a.y == Shape{1, 2, 6, 5});  // 5+3-3+1, 5+2-3+1
  const Imported d = maxpool_of(
      pool("MaxPool", {-1, 2, 9, 8}, {{"kernel_shape", {2, 3}}, {"dilations", {3, 2}}, {"pads", {1, 0, 0, 1}}}));
  CHECK(d.p.dilation_h == 3);
  CHECK(d.p.dilation_w == 2);
  CHECK(d.y == Shape{1, 2, 7, 5});  // 9+1-4+1, 8+1-5+1
}

TEST_CASE("AveragePool: asymmetric pads and both divisor modes") {
  for (int64_t include : {0, 1}) {
    CAPTURE(include);
    auto m = import(pool("AveragePool", {-1, 2, 6, 7},
                         {{"kernel_shape", {3, 2}}, {"pads", {0, 1, 2, 0}}, {"count_include_pad", {include}, true}}));
    REQUIRE(m.ok());
    const Graph& g = m->model.graph;
    REQUIRE(g.nodes().size() == 1);
    const AvgPool2dParams* p = avgpool_params(g.nodes()[0]);
    REQUIRE(p);
    CHECK(p->count_include_pad == (include == 1));
    CHECK(p->pad_h == 0);
    CHECK(p->pad_w == 1);
    CHECK(p->pad_end_h() == 2);
    CHECK(p->pad_end_w() == 0);
    CHECK(g.shape(m->outputs[0].id) == Shape{1, 2, 6, 7});
  }
}

TEST_CASE("GlobalMaxPool is a max pooling over the whole image") {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 5, 7});
  b.node("GlobalMaxPool", {"x"}, {"y"}, "gmp");
  b.output("y");
  const Imported g = maxpool_of(b);
  CHECK(g.y == Shape{1, 3, 1, 1});
  CHECK(g.p.kernel_h == 5);
  CHECK(g.p.kernel_w == 7);
  CHECK(g.p.pad_end_h() == 0);

  OnnxBuilder flat(13);
  flat.input("x", {-1, 3, 5});
  flat.node("GlobalMaxPool", {"x"}, {"y"}, "gmp1d");
  flat.output("y");
  check_error(import(flat), Errc::unsupported, {"node 'gmp1d' (GlobalMaxPool)", "2-D global pooling"});
}

TEST_CASE("pooling windows vknn cannot express are refused, naming the attribute") {
  check_error(import(pool("MaxPool", {-1, 2, 6, 6}, {{"kernel_shape", {3, 3}}, {"pads", {0, 3, 0, 0}}})),
              Errc::unsupported, {"node 'pool' (MaxPool)", "attribute 'pads' = [0,3,0,0]", "kernel (3x3) or more"});
  check_error(import(pool("AveragePool", {-1, 2, 6, 6}, {{"kernel_shape", {2, 2}}, {"pads", {2, 0, 0, 0}}})),
              Errc::unsupported, {"node 'pool' (AveragePool)", "attribute 'pads' = [2,0,0,0]"});
  // SAME with a dilated window needs pads over the kernel: 3 at the end for 2 taps 3 apart.
  check_error(import(pool("MaxPool", {-1, 2, 6, 6}, {{"kernel_shape", {2, 2}}, {"dilations", {3, 3}}}, "SAME_UPPER")),
              Errc::unsupported, {"attribute 'pads' = [1,1,2,2] (from auto_pad 'SAME_UPPER')"});
  // ceil_mode where ONNX (before opset 19) keeps a window that starts in the bottom padding.
  check_error(import(pool("MaxPool", {-1, 2, 5, 5},
                          {{"kernel_shape", {3, 3}}, {"strides", {3, 3}}, {"pads", {0, 0, 2, 0}}, {"ceil_mode", {1}, true}})),
              Errc::unsupported, {"attribute 'ceil_mode' = 1", "[0,0,2,0]"});
  check_error(import(pool("MaxPool", {-1, 2, 5, 5}, {{"kernel_shape", {2, 2}}, {"storage_order", {1}, true}})),
              Errc::unsupported, {"attribute 'storage_order' = 1"});
}
