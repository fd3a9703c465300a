// What Pad, ReduceMean and a run-time Transpose become in the graph (no device): the zero
// padding folded into the next Conv or a pad node, global average pooling, a channel shuffle;
// and the refusals that name what vknn cannot express. Their numbers are checked on the device by
// the torchvision tests (densenet121, shufflenet_v2_x0_5) and ONNX's node tests.
#include "import_checks.h"
#include "model_builder.h"
#include "vknn/onnx/import.h"
#include "vknn/ops/avgpool.h"
#include "vknn/ops/conv2d.h"

#include <doctest/doctest.h>

using namespace vknn;
using vknn::test::check_error;
using vknn::test::count_nodes;
using vknn::test::import;
using vknn::test::OnnxBuilder;

namespace {

// x (N,2,6,6) -> Pad(pads) -> consumer; opset 13 (pads as an input).
OnnxBuilder padded(const std::string& consumer, std::vector<int64_t> pads, int64_t conv_pad = 0) {
  OnnxBuilder b(13);
  b.input("x", {-1, 2, 6, 6});
  b.int_initializer("pads", {int64_t(pads.size())}, pads);
  b.node("Pad", {"x", "pads"}, {"p"}, "pad");
  if (consumer == "Conv") {
    b.initializer("w", {3, 2, 3, 3}, std::vector<float>(54, 0.1f));
    auto& c = b.node("Conv", {"p", "w"}, {"y"}, "conv");
    OnnxBuilder::attr(c, "pads", std::vector<int64_t>{conv_pad, conv_pad, conv_pad, conv_pad});
  } else {
    auto& c = b.node(consumer, {"p"}, {"y"}, "pool");
    OnnxBuilder::attr(c, "kernel_shape", std::vector<int64_t>{3, 3});
    if (consumer == "AveragePool") OnnxBuilder::attr(c, "count_include_pad", int64_t(1));
  }
  b.output("y");
  return b;
}

}  // namespace

TEST_CASE("Pad: zero padding of H and W becomes the next Conv's padding, zero pads are the identity") {
  auto m = import(padded("Conv", {0, 0, 1, 1, 0, 0, 1, 1}, 1));
  REQUIRE(m.ok());
  const Graph& g = m->model.graph;
  CHECK(count_nodes(g, "conv2d") == 1);
  CHECK(g.nodes().size() == 1);
  REQUIRE(conv2d_params(g.nodes()[0]));
  CHECK(conv2d_params(g.nodes()[0])->pad_h == 2);
  CHECK(conv2d_params(g.nodes()[0])->pad_w == 2);
  CHECK(g.shape(m->outputs[0].id) == Shape{1, 3, 8, 8});  // 6 + 2*2 - 3 + 1

  auto id = import(padded("Conv", {0, 0, 0, 0, 0, 0, 0, 0}));
  REQUIRE(id.ok());
  CHECK(id->model.graph.shape(id->outputs[0].id) == Shape{1, 3, 4, 4});

  auto avg = import(padded("AveragePool", {0, 0, 1, 1, 0, 0, 1, 1}));
  REQUIRE(avg.ok());
  CHECK(avg->model.graph.shape(avg->outputs[0].id) == Shape{1, 2, 6, 6});

  // Asymmetric, and up to the kernel less one: the pool's own pads (top, left, bottom, right).
  auto lopsided = import(padded("AveragePool", {0, 0, 1, 0, 0, 0, 0, 2}));
  REQUIRE(lopsided.ok());
  const Graph& lg = lopsided->model.graph;
  REQUIRE(lg.nodes().size() == 1);
  const AvgPool2dParams* p = avgpool_params(lg.nodes()[0]);
  REQUIRE(p);
  CHECK(p->pad_h == 1);
  CHECK(p->pad_w == 0);
  CHECK(p->pad_end_h() == 0);
  CHECK(p->pad_end_w() == 2);
  CHECK(lg.shape(lopsided->outputs[0].id) == Shape{1, 2, 5, 6});
  auto wide = import(padded("AveragePool", {0, 0, 2, 2, 0, 0, 2, 2}));
  REQUIRE(wide.ok());
  CHECK(count_nodes(wide->model.graph, "pad") == 0);
  CHECK(wide->model.graph.shape(wide->outputs[0].id) == Shape{1, 2, 8, 8});
}

// Pads that no consumer can take: the graph's pad node, and the shape it gives.
TEST_CASE("Pad: padding no consumer can take, of C, H or W or cropping, is a pad node") {
  struct Case {
    const char* consumer;
    std::vector<int64_t> pads;  // ONNX order: begins of (N,C,H,W), then ends
    Shape want;                 // the consumer's output at batch 1
  };
  const Case cases[] = {
      {"MaxPool", {0, 0, 1, 1, 0, 0, 1, 1}, {1, 2, 6, 6}},  // a zero would win over negative inputs
      {"MaxPool", {0, 1, 0, 0, 0, 2, 0, 0}, {1, 5, 4, 4}},   // channels
      {"Conv", {0, 0, 1, 0, 0, 0, 0, 0}, {1, 3, 5, 4}},      // asymmetric, which conv2d cannot pad
      {"Conv", {0, 0, -1, 0, 0, 0, 1, -2}, {1, 3, 4, 2}},    // cropping
      {"AveragePool", {0, 0, 3, 0, 0, 0, 0, 0}, {1, 2, 7, 4}},  // a pool's kernel or more
  };
  for (const Case& k : cases) {
    CAPTURE(k.consumer);
    CAPTURE(Shape(k.pads).str());
    auto m = import(padded(k.consumer, k.pads));
    REQUIRE(m.ok());
    const Graph& g = m->model.graph;
    CHECK(count_nodes(g, "pad") == 1);
    CHECK(g.shape(m->outputs[0].id) == k.want);
  }
}

TEST_CASE("Pad: before an Add, of rank 3, and as a graph output it is a pad node") {
  OnnxBuilder b(11);
  b.input("x", {-1, 3, 4, 4});
  b.input("z", {-1, 3, 6, 5});
  b.int_initializer("pads", {8}, {0, 0, 1, 0, 0, 0, 1, 1});
  b.node("Pad", {"x", "pads"}, {"p"}, "pad");
  b.node("Add", {"p", "z"}, {"y"}, "add");
  b.output("y");
  auto m = import(b);
  REQUIRE(m.ok());
  CHECK(count_nodes(m->model.graph, "pad") == 1);
  CHECK(m->model.graph.shape(m->outputs[0].id) == Shape{1, 3, 6, 5});

  OnnxBuilder r(13);  // (N,L,W) of rank 3 viewed as (1,N,L,W): its first axis is padded as C
  r.input("x", {-1, 4, 5});
  r.int_initializer("pads", {6}, {1, 0, 2, 0, 1, -1});
  r.node("Pad", {"x", "pads"}, {"y"}, "pad3");
  r.output("y");
  auto m3 = import(r);
  REQUIRE(m3.ok());
  CHECK(count_nodes(m3->model.graph, "pad") == 1);
  CHECK(m3->model.graph.shape(m3->outputs[0].id).numel() == 2 * 5 * 6);  // batch 1
}

TEST_CASE("Pad: what vknn cannot pad is refused, naming the pads") {
  // The batch axis, and a rank over 4.
  check_error(import(padded("Conv", {1, 0, 0, 0, 0, 0, 0, 0})), Errc::unsupported,
              {"node 'pad' (Pad)", "[1,0,0,0,0,0,0,0]", "batch axis"});
  OnnxBuilder five(13);
  five.input("x", {-1, 2, 3, 4, 5});
  five.int_initializer("pads", {10}, {0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  five.node("Pad", {"x", "pads"}, {"y"}, "pad5");
  five.output("y");
  check_error(import(five), Errc::unsupported, {"node 'pad5' (Pad)", "rank 4 or less"});
  // A crop that leaves nothing.
  check_error(import(padded("MaxPool", {0, 0, -3, 0, 0, 0, -3, 0})), Errc::invalid_argument,
              {"pad", "axis H", "0 elements"});
  // Another mode.
  OnnxBuilder reflect = padded("Conv", {0, 0, 1, 1, 0, 0, 1, 1});
  auto* pad = reflect.graph().mutable_node(0);
  auto* mode = pad->add_attribute();
  mode->set_name("mode");
  mode->set_type(::onnx::AttributeProto::STRING);
  mode->set_s("reflect");
  check_error(import(reflect), Errc::unsupported, {"attribute 'mode' = 'reflect'"});
}

TEST_CASE("Pad: a non-zero constant_value is a pad node, never a Conv's zero padding") {
  OnnxBuilder value = padded("Conv", {0, 0, 1, 1, 0, 0, 1, 1});
  value.initializer("one", {}, {1.0f});
  value.graph().mutable_node(0)->add_input("one");
  auto m = import(value);
  REQUIRE(m.ok());
  CHECK(count_nodes(m->model.graph, "pad") == 1);
  CHECK(m->model.graph.shape(m->outputs[0].id) == Shape{1, 3, 6, 6});
}

TEST_CASE("ReduceMean over H and W is global average pooling, keepdims or not") {
  for (int64_t keep : {0, 1}) {
    CAPTURE(keep);
    OnnxBuilder b(13);
    b.input("x", {-1, 5, 3, 4});
    auto& r = b.node("ReduceMean", {"x"}, {"y"}, "mean");
    OnnxBuilder::attr(r, "axes", std::vector<int64_t>{-1, 2});
    OnnxBuilder::attr(r, "keepdims", keep);
    b.output("y");
    auto m = import(b);
    REQUIRE(m.ok());
    CHECK(count_nodes(m->model.graph, "global_avgpool") == 1);
    const Shape want = keep ? Shape{1, 5, 1, 1} : Shape{1, 5};
    CHECK(m->outputs.size() == 1);
    CHECK(m->model.graph.shape(m->outputs[0].id).numel() == want.numel());
  }
  OnnxBuilder c(13);
  c.input("x", {-1, 5, 3, 4});
  auto& r = c.node("ReduceMean", {"x"}, {"y"}, "mean_c");
  OnnxBuilder::attr(r, "axes", std::vector<int64_t>{1});
  c.output("y");
  check_error(import(c), Errc::unsupported, {"node 'mean_c' (ReduceMean)", "axes [1]", "only H and W"});
}

TEST_CASE("Reshape, Transpose(0,2,1,3,4), Reshape import as one channel shuffle") {
  OnnxBuilder b(13);
  b.input("x", {-1, 6, 3, 3});
  b.int_initializer("s5", {5}, {1, 2, 3, 3, 3});
  b.int_initializer("s4", {4}, {1, 6, 3, 3});
  b.node("Reshape", {"x", "s5"}, {"r5"}, "view");
  auto& t = b.node("Transpose", {"r5"}, {"t5"}, "shuffle");
  OnnxBuilder::attr(t, "perm", std::vector<int64_t>{0, 2, 1, 3, 4});
  b.node("Reshape", {"t5", "s4"}, {"y"}, "back");
  b.output("y");
  auto m = import(b);
  REQUIRE(m.ok());
  const Graph& g = m->model.graph;
  CHECK(count_nodes(g, "channel_shuffle") == 1);
  CHECK(g.nodes().size() == 1);
  CHECK(g.shape(m->outputs[0].id) == Shape{1, 6, 3, 3});

  // A transpose that moves H and W is no channel shuffle.
  OnnxBuilder hw(13);
  hw.input("x", {-1, 6, 3, 4});
  auto& t2 = hw.node("Transpose", {"x"}, {"y"}, "swap_hw");
  OnnxBuilder::attr(t2, "perm", std::vector<int64_t>{0, 1, 3, 2});
  hw.output("y");
  check_error(import(hw), Errc::unsupported, {"node 'swap_hw' (Transpose)", "[0,1,3,2]", "channel shuffle"});
}
