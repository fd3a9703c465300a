// The importer without a device: what a model becomes (parameters, folding, batch), and how
// each kind of bad file is refused.
#include "import_checks.h"
#include "model_builder.h"
#include "vknn/onnx/import.h"
#include "vknn/ops/conv2d.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace vknn;
using vknn::test::check_error;
using vknn::test::count_nodes;
using vknn::test::import;
using vknn::test::OnnxBuilder;

TEST_CASE("initializers become parameters under their names, shape subgraphs fold") {
  auto m = import(test::small_cnn(), {.batch = 3});
  REQUIRE_MESSAGE(m.ok(), m.error().what());
  const Graph& g = m->model.graph;
  CHECK(m->opset == 13);
  CHECK(m->producer == "vknn-test");
  for (const char* p : {"conv.weight", "conv.bias", "fc.weight", "fc.bias"}) {
    const TensorId t = g.find(p);
    REQUIRE_MESSAGE(t.valid(), p);
    CHECK(g.desc(t).role == Role::parameter);
    CHECK(!g.desc(t).frozen);
    CHECK(g.desc(t).init.kind == Init::Kind::values);
  }
  CHECK(g.desc(g.find("conv.weight")).init.data->at(1) == doctest::Approx(-0.2f));
  // The integer initializers of the shape computation never become tensors.
  CHECK(!g.find("zero").valid());
  CHECK(!g.find("minus1").valid());
  // conv (ReLU fused), maxpool, the reshape to (N,64) and the fully connected layer.
  CHECK(g.nodes().size() == 4);
  CHECK(count_nodes(g, "conv2d") == 1);
  CHECK(count_nodes(g, "relu") == 0);
  REQUIRE(conv2d_params(g.nodes()[0]));
  CHECK(conv2d_params(g.nodes()[0])->relu);
  CHECK(g.shape(m->model.images) == Shape{3, 3, 8, 8});
  CHECK(g.shape(m->model.logits) == Shape{3, 5});
  CHECK(g.desc(m->model.logits).role == Role::output);
  REQUIRE(m->inputs.size() == 1);
  CHECK(m->inputs[0].name == "x");
  REQUIRE(m->outputs.size() == 1);
  CHECK(m->outputs[0].name == "y");
}

TEST_CASE("every opset from 9 to 17 imports, others are refused") {
  for (int64_t opset = 9; opset <= 17; ++opset) {
    CAPTURE(opset);
    OnnxBuilder b = test::small_cnn(opset);
    if (opset < 13) {  // Unsqueeze took its axes as an attribute
      auto* n = b.graph().mutable_node(5);
      REQUIRE(n->op_type() == "Unsqueeze");
      n->mutable_input()->RemoveLast();
      OnnxBuilder::attr(*n, "axes", std::vector<int64_t>{0});
    }
    auto m = import(b);
    CHECK_MESSAGE(m.ok(), m.error().what());
  }
  check_error(import(test::small_cnn(8)), Errc::unsupported, {"opset 8", "9 to 17"});
  check_error(import(test::small_cnn(18)), Errc::unsupported, {"opset 18"});
}

TEST_CASE("the batch replaces the first dim, other dynamic dims are given by name") {
  OnnxBuilder b;
  b.input("x", {-1, 2, -1, 4});
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  check_error(import(b), Errc::invalid_argument, {"input 'x' dim 2", "dynamic", "D2"});
  auto m = import(b, {.batch = 5, .dims = {{"D2", 7}}});
  REQUIRE_MESSAGE(m.ok(), m.error().what());
  CHECK(m->model.graph.shape(m->model.images) == Shape{5, 2, 7, 4});
  CHECK(m->model.graph.shape(m->model.logits) == Shape{5, 2, 7, 4});
}

TEST_CASE("training appends labels and the loss on the named output") {
  auto m = import(test::small_cnn(), {.batch = 2, .training = true});
  REQUIRE_MESSAGE(m.ok(), m.error().what());
  const Graph& g = m->model.graph;
  REQUIRE(m->model.labels.valid());
  CHECK(g.shape(m->model.labels) == Shape{2});
  CHECK(g.loss.valid());
  check_error(import(test::small_cnn(), {.training = true, .loss_output = "nope"}), Errc::invalid_argument,
              {"no graph output is named 'nope'"});
}

TEST_CASE("every node that cannot be imported is listed in one error") {
  OnnxBuilder b = test::small_cnn();
  auto& erf = b.node("Erf", {"y"}, {"e"}, "my_erf");
  (void)erf;
  auto& custom = b.node("Fancy", {"e"}, {"f"}, "custom_node");
  custom.set_domain("com.example");
  b.graph().mutable_output(0)->set_name("f");
  // A convolution with an attribute vknn cannot express, and one it does not know.
  auto* conv = b.graph().mutable_node(0);
  OnnxBuilder::attr(*conv, "dilations", std::vector<int64_t>{2, 2});
  auto& relu = b.node("Relu", {"x"}, {"unused"}, "odd_relu");
  OnnxBuilder::attr(relu, "frobnicate", int64_t(1));
  check_error(import(b), Errc::unsupported,
              {"4 nodes cannot be imported", "node 'conv' (Conv): attribute 'dilations' = [2,2]",
               "node 'my_erf' (Erf): op type is not supported",
               "node 'custom_node' (Fancy): domain 'com.example' is not supported",
               "node 'odd_relu' (Relu): attribute 'frobnicate' is not supported"});
}

TEST_CASE("garbage and truncated files are errors, never crashes") {
  std::vector<std::byte> junk(1000);
  std::mt19937 rng(7);
  for (auto& x : junk) x = std::byte(rng() & 0xff);
  auto r = vknn::onnx::import_bytes(junk, {}, "junk.onnx");
  REQUIRE(!r.ok());
  CHECK(r.error().message.find("junk.onnx") != std::string::npos);
  check_error(vknn::onnx::import_bytes({}, {}, "empty.onnx"), Errc::parse, {"empty.onnx", "not an ONNX model"});

  // Every prefix of a valid model: an error (or, cut at a field boundary, a smaller model
  // that happens to be complete), and no crash.
  const auto whole = test::small_cnn().bytes();
  int errors = 0;
  for (size_t n = 0; n < whole.size(); n += 7) {
    auto t = vknn::onnx::import_bytes(std::span(whole.data(), n), {}, "cut.onnx");
    errors += !t.ok();
  }
  CHECK(errors > int(whole.size() / 7) * 9 / 10);
  // Random byte flips.
  for (int trial = 0; trial < 300; ++trial) {
    auto bytes = whole;
    for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = std::byte(rng() & 0xff);
    (void)vknn::onnx::import_bytes(bytes, {}, "flipped.onnx");
  }
}

TEST_CASE("cycles, dangling inputs and twice-written values are refused") {
  OnnxBuilder cyc;
  cyc.input("x", {1, 2});
  cyc.node("Add", {"x", "b"}, {"a"}, "first");
  cyc.node("Relu", {"a"}, {"b"}, "second");
  cyc.output("b");
  check_error(import(cyc), Errc::parse, {"cycle", "'first' (Add)", "'second' (Relu)"});

  OnnxBuilder dangling;
  dangling.input("x", {1, 2});
  dangling.node("Add", {"x", "ghost"}, {"y"}, "adder");
  dangling.output("y");
  check_error(import(dangling), Errc::parse, {"node 'adder' (Add) reads 'ghost'", "no node, graph input or initializer"});

  OnnxBuilder twice;
  twice.input("x", {1, 2});
  twice.node("Relu", {"x"}, {"y"}, "r1");
  twice.node("Relu", {"x"}, {"y"}, "r2");
  twice.output("y");
  check_error(import(twice), Errc::parse, {"value 'y' is written by both", "'r1'", "'r2'"});

  OnnxBuilder no_out;
  no_out.input("x", {1, 2});
  no_out.node("Relu", {"x"}, {"y"});
  no_out.output("z");
  check_error(import(no_out), Errc::parse, {"graph output 'z' is not produced"});
}

TEST_CASE("zero, negative and overflowing dims are refused") {
  auto with_input = [](std::vector<int64_t> dims) {
    OnnxBuilder b;
    b.input("x", dims);
    b.node("Relu", {"x"}, {"y"});
    b.output("y");
    return import(b, {.batch = 0});
  };
  check_error(with_input({1, 0, 4}), Errc::unsupported, {"input 'x' dim 1 is 0", "no empty tensors"});
  check_error(with_input({1, -3, 4}), Errc::parse, {"input 'x' dim 1 is -3"});
  check_error(with_input({1, int64_t(1) << 40, int64_t(1) << 40}), Errc::parse, {"input 'x'", "more than 2^31"});
  check_error(with_input({1, 40000, 40000}), Errc::unsupported, {"2^30 or more"});

  OnnxBuilder b;
  b.input("x", {1, 4});
  auto* t = b.graph().add_initializer();
  t->set_name("w");
  t->set_data_type(1);
  t->add_dims(int64_t(1) << 62);
  t->add_dims(8);
  b.node("Add", {"x", "w"}, {"y"});
  b.output("y");
  check_error(import(b), Errc::parse, {"initializer 'w'", "more than 2^31"});

  OnnxBuilder short_data;
  short_data.input("x", {1, 4});
  short_data.initializer("w", {2, 4}, {1, 2, 3});
  short_data.node("Add", {"x", "w"}, {"y"});
  short_data.output("y");
  check_error(import(short_data), Errc::parse, {"initializer 'w'", "float_data holds 3 values, its shape needs 8"});
}

TEST_CASE("a node with fewer inputs than its op reads is refused, naming the node") {
  // Found by the ONNX fuzz target: a BatchNormalization of 4 inputs aborted the importer.
  OnnxBuilder b;
  b.input("x", {1, 2, 3, 3});
  b.initializer("g", {2}, {1, 1});
  b.initializer("b", {2}, {0, 0});
  b.initializer("m", {2}, {0, 0});
  b.node("BatchNormalization", {"x", "g", "b", "m"}, {"y"}, "bn4");
  b.output("y");
  check_error(import(b), Errc::parse, {"node 'bn4' (BatchNormalization)", "no input 4"});
}

TEST_CASE("shapes that do not fit an op name the node") {
  OnnxBuilder b = test::small_cnn();
  // conv.weight claims 5 input channels for a 3-channel input.
  auto* w = b.graph().mutable_initializer(0);
  w->set_dims(1, 5);
  for (int k = 0; k < 4 * 2 * 9; ++k) w->add_float_data(0);
  check_error(import(b), Errc::invalid_argument, {"node 'conv' (Conv)", "conv.weight"});

  OnnxBuilder reshape;
  reshape.input("x", {2, 6});
  reshape.int_initializer("shape", {2}, {5, 5});
  reshape.node("Reshape", {"x", "shape"}, {"y"}, "bad_reshape");
  reshape.output("y");
  check_error(import(reshape, {.batch = 0}), Errc::parse, {"node 'bad_reshape' (Reshape)", "[2,6]", "[5,5]"});
}

TEST_CASE("external data is read beside the model, and a missing file is an error") {
  const auto dir = std::filesystem::temp_directory_path() / "vknn_onnx_external_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  OnnxBuilder b;
  b.input("x", {1, 4});
  auto* t = b.graph().add_initializer();
  t->set_name("w");
  t->set_data_type(1);
  t->add_dims(1);
  t->add_dims(4);
  t->set_data_location(::onnx::TensorProto::EXTERNAL);
  auto kv = [&](const char* k, const std::string& v) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  kv("location", "weights.bin");
  kv("offset", "8");
  kv("length", "16");
  b.node("Add", {"x", "w"}, {"y"});
  b.output("y");
  {
    std::ofstream f(dir / "model.onnx", std::ios::binary);
    const auto bytes = b.bytes();
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  check_error(vknn::onnx::import_file(dir / "model.onnx"), Errc::io, {"external data file", "weights.bin"});
  {
    const float w[6] = {0, 0, 1.5f, 2.5f, 3.5f, 4.5f};
    std::ofstream f(dir / "weights.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(w), sizeof w);
  }
  auto m = vknn::onnx::import_file(dir / "model.onnx");
  REQUIRE_MESSAGE(m.ok(), m.error().what());
  const TensorId w = m->model.graph.find("w");
  REQUIRE(w.valid());
  CHECK(*m->model.graph.desc(w).init.data == std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f});
  // From memory there is no folder to look in unless one is given.
  const auto bytes = b.bytes();
  check_error(vknn::onnx::import_bytes(bytes, {}, "mem"), Errc::invalid_argument, {"'w'", "external file 'weights.bin'"});
  CHECK(vknn::onnx::import_bytes(bytes, {.external_data_dir = dir}, "mem").ok());
  // Past the end of the file, and outside the model's folder.
  t->mutable_external_data(1)->set_value("16");
  check_error(import(b, {.external_data_dir = dir}), Errc::parse, {"outside 'weights.bin'"});
  t->mutable_external_data(1)->set_value("0");
  t->mutable_external_data(0)->set_value("../etc/passwd");
  check_error(import(b, {.external_data_dir = dir}), Errc::parse, {"not a relative path inside"});
  std::filesystem::remove_all(dir);
}

TEST_CASE("is_onnx_path") {
  CHECK(vknn::onnx::is_onnx_path("resnet18.onnx"));
  CHECK(vknn::onnx::is_onnx_path("dir/m.onnx"));
  CHECK(!vknn::onnx::is_onnx_path("resnet18"));
  CHECK(!vknn::onnx::is_onnx_path(".onnx"));
}

TEST_CASE("arithmetic on a trainable initializer folds for inference and runs in the graph for training") {
  // y = x + relu(w) * s, with w and s both initializers: known at import.
  OnnxBuilder b;
  b.input("x", {1, 4});
  b.initializer("w", {4}, {0.5f, -1.0f, 2.0f, 3.0f});
  b.initializer("s", {1}, {2.0f});
  b.node("Relu", {"w"}, {"rw"});
  b.node("Mul", {"rw", "s"}, {"ws"});
  b.node("Add", {"x", "ws"}, {"y"});
  b.output("y");

  auto frozen = import(b);
  REQUIRE_MESSAGE(frozen.ok(), frozen.error().what());
  CHECK(count_nodes(frozen->model.graph, "relu") == 0);
  CHECK(count_nodes(frozen->model.graph, "mul") == 0);
  CHECK(!frozen->model.graph.find("w").valid());  // only the folded product is a tensor

  auto trained = import(b, {.training = true});
  REQUIRE_MESSAGE(trained.ok(), trained.error().what());
  const Graph& g = trained->model.graph;
  for (const char* p : {"w", "s"}) {
    const TensorId t = g.find(p);
    REQUIRE_MESSAGE(t.valid(), p);
    CHECK(g.desc(t).role == Role::parameter);
    CHECK_MESSAGE(!g.desc(t).frozen, p);
  }
  CHECK(count_nodes(g, "relu") == 1);
  CHECK(count_nodes(g, "mul") == 1);
}
