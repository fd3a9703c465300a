// Sessions from an ONNX file, from its bytes in memory, and (as before) from a built-in name,
// through the C++ and the C API. The model is the small conv net the CLI tests export with
// PyTorch at test time (tests/cli/onnx_cli_export.py), with PyTorch's outputs for a batch of 3.
#include "helpers.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

using namespace apitest;
namespace api = vknn::api;

namespace {

std::vector<char> bytes_of(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<float> floats_of(const std::filesystem::path& p) {
  const std::vector<char> b = bytes_of(p);
  std::vector<float> v(b.size() / sizeof(float));
  std::memcpy(v.data(), b.data(), v.size() * sizeof(float));
  return v;
}

// ||a - b|| / ||b||, the normwise relative difference.
double rel_norm(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); ++i) d += (double(a[i]) - b[i]) * (double(a[i]) - b[i]), n += double(b[i]) * b[i];
  return std::sqrt(d / n);
}

}  // namespace

TEST_CASE("ONNX C++: a session from a file and from its bytes gives PyTorch's outputs") {
  const auto model = onnx_file("small.onnx");
  const std::vector<float> x = floats_of(onnx_file("input.f32")), want = floats_of(onnx_file("expected.f32"));
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));

  api::ModelSpec spec;
  spec.name = model.string();  // classes (1000 by default) is the file's own for an ONNX model
  api::Session from_file = api::Session::create(ctx, spec, "", 3);
  CHECK(from_file.input_shape() == std::vector<int64_t>{3, 1, 28, 28});
  CHECK(from_file.output_shape() == std::vector<int64_t>{3, 10});
  std::vector<float> y(30);
  from_file.run(x.data(), x.size(), y.data(), y.size());
  const double rel = rel_norm(y, want);
  MESSAGE("file: relative (normwise) difference to PyTorch " << rel);
  CHECK(rel <= 1e-4);

  const std::vector<char> bytes = bytes_of(model);
  api::Session from_bytes = api::Session::create_from_onnx(ctx, bytes.data(), bytes.size(), "", 3);
  std::vector<float> y2(30);
  from_bytes.run(x.data(), x.size(), y2.data(), y2.size());
  CHECK(y2 == y);  // the same graph, the same weights: the same floats

  // The first sample alone, at batch 1.
  api::Session one = api::Session::create_from_onnx(ctx, bytes.data(), bytes.size(), "", 1);
  std::vector<float> y1(10);
  one.run(x.data(), 784, y1.data(), 10);
  CHECK(rel_norm(y1, std::vector<float>(want.begin(), want.begin() + 10)) <= 1e-4);
}

TEST_CASE("ONNX C++: refusals name the fault") {
  host::Device dev;
  api::Context ctx = api::Context::borrow(lend(dev));
  api::ModelSpec spec;
  spec.name = onnx_file("unsupported.onnx").string();
  // Every node that cannot be imported is listed, not only the first.
  check_throws([&] { api::Session::create(ctx, spec, "", 1); }, VKNN_ERROR_UNSUPPORTED,
               {"2 nodes cannot be imported", "'/Sin' (Sin)", "'/Cos' (Cos)"});
  spec.name = (onnx_file("small.onnx").parent_path() / "missing.onnx").string();
  check_throws([&] { api::Session::create(ctx, spec, "", 1); }, VKNN_ERROR_IO, {"missing.onnx"});
  const char garbage[] = "this is not a protobuf model";
  check_throws([&] { api::Session::create_from_onnx(ctx, garbage, sizeof garbage, "", 1); }, VKNN_ERROR_PARSE,
               {"<ONNX bytes>"});
  check_throws([&] { api::Session::create_from_onnx(ctx, nullptr, 10, "", 1); }, VKNN_ERROR_INVALID_ARGUMENT,
               {"no bytes"});
  const std::vector<char> bytes = bytes_of(onnx_file("small.onnx"));
  check_throws([&] { api::Session::create_from_onnx(ctx, bytes.data(), bytes.size(), "", 0); },
               VKNN_ERROR_INVALID_ARGUMENT, {"batch"});
  // A weights file addresses the parameters by their ONNX names: a foreign one is refused by name.
  const auto w = temp_path("onnx_foreign.safetensors");
  write_safetensors(w, lenet_weights(std::vector<float>(10, 0.0f)));
  check_throws([&] { api::Session::create_from_onnx(ctx, bytes.data(), bytes.size(), w.string(), 1); },
               VKNN_ERROR_PARSE, {"onnx_foreign.safetensors"});
  std::filesystem::remove(w);
}

TEST_CASE("ONNX C: sessions from a file, from bytes and from a built-in name, and errors as statuses") {
  const auto model = onnx_file("small.onnx");
  const std::vector<float> x = floats_of(onnx_file("input.f32")), want = floats_of(onnx_file("expected.f32"));
  const std::vector<char> bytes = bytes_of(model);
  host::Device dev;
  const vknn_host_device h = lend_c(dev);
  vknn_context ctx = nullptr;
  REQUIRE(vknn_context_borrow(&h, &ctx) == VKNN_SUCCESS);

  const std::string path = model.string();
  vknn_model_spec spec{path.c_str(), 0, 0, 0.0f, 1};
  vknn_session from_file = nullptr, from_bytes = nullptr, builtin = nullptr;
  REQUIRE(vknn_session_create(ctx, &spec, nullptr, 3, &from_file) == VKNN_SUCCESS);
  REQUIRE(vknn_session_create_from_onnx(ctx, bytes.data(), bytes.size(), nullptr, 3, &from_bytes) == VKNN_SUCCESS);
  int64_t in[4], out[2];
  REQUIRE(vknn_session_input_shape(from_bytes, in) == VKNN_SUCCESS);
  REQUIRE(vknn_session_output_shape(from_bytes, out) == VKNN_SUCCESS);
  CHECK((in[0] == 3 && in[1] == 1 && in[2] == 28 && in[3] == 28 && out[0] == 3 && out[1] == 10));
  std::vector<float> y(30), y2(30);
  REQUIRE(vknn_session_run(from_file, x.data(), x.size(), y.data(), y.size()) == VKNN_SUCCESS);
  REQUIRE(vknn_session_run(from_bytes, x.data(), x.size(), y2.data(), y2.size()) == VKNN_SUCCESS);
  CHECK(rel_norm(y, want) <= 1e-4);
  CHECK(y2 == y);

  vknn_model_spec lenet{"lenet", 0, 0, 0.0f, 1};
  REQUIRE(vknn_session_create(ctx, &lenet, nullptr, 3, &builtin) == VKNN_SUCCESS);
  std::vector<float> yl(30);
  CHECK(vknn_session_run(builtin, x.data(), x.size(), yl.data(), yl.size()) == VKNN_SUCCESS);

  vknn_session bad = reinterpret_cast<vknn_session>(&dev);  // overwritten with NULL on failure
  const char garbage[] = "not a model";
  check_status(vknn_session_create_from_onnx(ctx, garbage, sizeof garbage, nullptr, 1, &bad), VKNN_ERROR_PARSE,
               {"vknn_session_create_from_onnx", "<ONNX bytes>"});
  CHECK(bad == nullptr);
  check_status(vknn_session_create_from_onnx(ctx, nullptr, 4, nullptr, 1, &bad), VKNN_ERROR_INVALID_ARGUMENT,
               {"data"});
  check_status(vknn_session_create_from_onnx(nullptr, bytes.data(), bytes.size(), nullptr, 1, &bad),
               VKNN_ERROR_INVALID_ARGUMENT, {"context"});
  check_status(vknn_session_create_from_onnx(ctx, bytes.data(), bytes.size(), nullptr, 1, nullptr),
               VKNN_ERROR_INVALID_ARGUMENT, {"out"});
  const std::string unsupported = onnx_file("unsupported.onnx").string();
  vknn_model_spec odd{unsupported.c_str(), 0, 0, 0.0f, 1};
  check_status(vknn_session_create(ctx, &odd, nullptr, 1, &bad), VKNN_ERROR_UNSUPPORTED, {"'/Sin' (Sin)", "'/Cos' (Cos)"});
  vknn_model_spec unknown{"resnet19", 0, 0, 0.0f, 1};
  check_status(vknn_session_create(ctx, &unknown, nullptr, 1, &bad), VKNN_ERROR_INVALID_ARGUMENT,
               {"unknown model 'resnet19'", "FILE.onnx"});

  vknn_session_destroy(from_file);
  vknn_session_destroy(from_bytes);
  vknn_session_destroy(builtin);
  vknn_context_destroy(ctx);
}
