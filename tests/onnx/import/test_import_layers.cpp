// What Pad, ReduceMean and a run-time Transpose become in the graph (no device): the zero
// padding folded into the next Conv, global average pooling, a channel shuffle; and the
// refusals that name what vknn cannot express. Their numbers are checked on the device by
// the torchvision tests (densenet121, shufflenet_v2_x0_5) and ONNX's node tests.
#include "import_checks.h"
#include "model_builder.h"
#include "vknn/onnx/import.h"
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
}

TEST_CASE("Pad: what cannot become a consumer's padding is refused, naming the pads") {
  // Before a max pool a zero would win over negative inputs.
  check_error(import(padded("MaxPool", {0, 0, 1, 1, 0, 0, 1, 1})), Errc::unsupported,
              {"node 'pad' (Pad)", "[0,0,1,1,0,0,1,1]"});
  // Channels, and an asymmetric result.
  check_error(import(padded("Conv", {0, 1, 0, 0, 0, 0, 0, 0})), Errc::unsupported, {"only H and W"});
  check_error(import(padded("Conv", {0, 0, 1, 0, 0, 0, 0, 0})), Errc::unsupported, {"asymmetric padding"});
  // Another mode and a non-zero value.
  OnnxBuilder reflect = padded("Conv", {0, 0, 1, 1, 0, 0, 1, 1});
  auto* pad = reflect.graph().mutable_node(0);
  auto* mode = pad->add_attribute();
  mode->set_name("mode");
  mode->set_type(::onnx::AttributeProto::STRING);
  mode->set_s("reflect");
  check_error(import(reflect), Errc::unsupported, {"attribute 'mode' = 'reflect'"});
  OnnxBuilder value = padded("Conv", {0, 0, 1, 1, 0, 0, 1, 1});
  value.initializer("one", {}, {1.0f});
  value.graph().mutable_node(0)->add_input("one");
  check_error(import(value), Errc::unsupported, {"constant_value 1"});
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
