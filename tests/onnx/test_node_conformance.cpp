// ONNX's own node tests (Debian's libonnx-testdata: one small model per op and attribute
// combination, with inputs and expected outputs): every test whose model vknn imports must
// give the expected outputs. Prints a table of passed, failed and unsupported tests per op.
//
// Integer inputs (shapes, axes, indices) are bound at import as constants, as they are in a
// real model; floating-point inputs are uploaded. Outputs are compared as ONNX's own test
// runner compares them (numpy.testing.assert_allclose, rtol 1e-3, atol 1e-7).
#include "onnx_test.h"

#include "host_tensor.h"  // vknn_onnx's TensorProto reader (white-box: the .pb files are TensorProtos)

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>

namespace vknn::test {
namespace {

const std::filesystem::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

// Tests whose expected values come from a random generator (a dropout mask drawn by numpy):
// no implementation can reproduce them. They are reported, not compared.
bool random_expected(const std::string& name) { return name.rfind("test_training_dropout", 0) == 0 && name.find("zero_ratio") == std::string::npos; }

Result<::onnx::TensorProto> read_pb(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  ::onnx::TensorProto t;
  if (!in || !t.ParseFromIstream(&in)) return make_error(Errc::parse, "{}: not a TensorProto", path.string());
  return t;
}

struct Outcome {
  enum Kind { passed, failed, unsupported, random } kind = passed;
  std::string why;
};

Outcome run_node_test(const std::filesystem::path& dir) {
  ::onnx::ModelProto model;
  {
    std::ifstream in(dir / "model.onnx", std::ios::binary);
    if (!in || !model.ParseFromIstream(&in)) return {Outcome::failed, "model.onnx does not parse"};
  }
  const auto data = dir / "test_data_set_0";
  std::set<std::string> initializers;
  for (const auto& t : model.graph().initializer()) initializers.insert(t.name());
  onnx::ImportOptions opt;
  opt.batch = 0;  // the file's own shapes
  std::vector<std::pair<std::string, std::vector<float>>> feeds;
  std::map<std::string, std::vector<int64_t>> dims;
  onnx::ExternalData none{{}};
  int k = 0;
  for (const auto& in : model.graph().input()) {
    if (initializers.count(in.name())) continue;
    const auto path = data / fmt::format("input_{}.pb", k++);
    if (!in.type().has_tensor_type()) continue;  // the importer refuses it
    const int32_t declared = in.type().tensor_type().elem_type();
    if (declared != onnx::kFloat && !onnx::is_integer_type(declared)) continue;  // likewise
    auto pb = read_pb(path);
    if (!pb.ok()) return {Outcome::failed, pb.error().message};
    auto t = onnx::read_tensor(*pb, none, path.string());
    if (!t.ok()) return {t.error().code == Errc::unsupported ? Outcome::unsupported : Outcome::failed, t.error().message};
    if (declared == onnx::kFloat && !t->is_float()) return {Outcome::failed, path.string() + " is not FLOAT data"};
    dims[in.name()] = t->dims;
    if (declared == onnx::kFloat) feeds.emplace_back(in.name(), *t->f);
    else opt.constant_inputs[in.name()] = {t->dims, t->i, {}, false};
  }
  auto m = onnx::import_file(dir / "model.onnx", opt);
  // Float inputs an op needs at import (batch-norm statistics, a Gather's data) are what an
  // initializer holds in a real model: bind those as constants and import again.
  for (int retry = 0; retry < 8 && !m.ok() && m.error().code == Errc::unsupported; ++retry) {
    static const std::regex needed(R"(\('([^']+)', the [^)]*\) must be known at import)");
    bool rebound = false;
    const std::string& msg = m.error().message;
    for (auto it = std::sregex_iterator(msg.begin(), msg.end(), needed); it != std::sregex_iterator(); ++it) {
      auto f = std::find_if(feeds.begin(), feeds.end(), [&](const auto& p) { return p.first == (*it)[1].str(); });
      if (f == feeds.end()) continue;
      onnx::ConstantInput c;
      c.is_float = true;
      c.floats = f->second;
      c.dims = dims.at(f->first);
      opt.constant_inputs[f->first] = std::move(c);
      feeds.erase(f);
      rebound = true;
    }
    if (!rebound) break;
    m = onnx::import_file(dir / "model.onnx", opt);
  }
  if (!m.ok()) return {m.error().code == Errc::unsupported ? Outcome::unsupported : Outcome::failed, m.error().message};
  auto ex = Executor::create(gpu(), m->model.graph);
  if (!ex.ok()) return {ex.error().code == Errc::unsupported ? Outcome::unsupported : Outcome::failed, ex.error().what()};
  for (const auto& feed : feeds) {
    const auto& name = feed.first;  // a lambda captures it: no structured binding before clang 16
    const auto& values = feed.second;
    auto it = std::find_if(m->inputs.begin(), m->inputs.end(), [&](const auto& i) { return i.name == name; });
    if (it == m->inputs.end()) continue;  // an input no output depends on
    if (auto s = (*ex)->set_input(it->id, values); !s.ok()) return {Outcome::failed, s.error().what()};
  }
  if (auto s = (*ex)->infer(); !s.ok()) return {Outcome::failed, s.error().what()};
  for (size_t o = 0; o < m->outputs.size(); ++o) {
    const auto path = data / fmt::format("output_{}.pb", o);
    auto pb = read_pb(path);
    if (!pb.ok()) return {Outcome::failed, pb.error().message};
    auto want = onnx::read_tensor(*pb, none, path.string());
    if (!want.ok()) return {Outcome::unsupported, want.error().message};
    auto got = (*ex)->read(m->outputs[o].id);
    if (!got.ok()) return {Outcome::failed, got.error().what()};
    const Shape& gs = m->model.graph.shape(m->outputs[o].id);
    if (gs.dims != want->dims && !(want->dims.empty() && gs.numel() == 1))
      return {Outcome::failed, fmt::format("output {} has shape {}, expected {}", o, gs.str(), onnx::dims_str(want->dims))};
    for (int64_t e = 0; e < want->numel(); ++e) {
      const double w = want->at(e), g = (*got)[size_t(e)];
      const bool both_nan = std::isnan(w) && std::isnan(g);
      if (!both_nan && !(std::abs(g - w) <= 1e-7 + 1e-3 * std::abs(w)))
        return {random_expected(dir.filename().string()) ? Outcome::random : Outcome::failed,
                fmt::format("output {} element {}: {} instead of {}", o, e, g, w)};
    }
  }
  return {};
}

// The op a test exercises: its node's type, or, for a model of several nodes (a function
// expanded into primitives), "expanded: " and the first node's type.
std::string op_of(const std::filesystem::path& dir) {
  ::onnx::ModelProto model;
  std::ifstream in(dir / "model.onnx", std::ios::binary);
  if (!in || !model.ParseFromIstream(&in) || model.graph().node_size() == 0) return "?";
  if (model.graph().node_size() == 1) return model.graph().node(0).op_type();
  return "(expanded) " + dir.filename().string().substr(5);
}

}  // namespace

TEST_CASE("onnx node tests: every op and attribute combination vknn imports gives ONNX's outputs") {
  if (!std::filesystem::is_directory(kNodeTests)) {
    std::fprintf(stderr, "skipping: %s is absent (Debian's libonnx-testdata)\n", kNodeTests.string().c_str());
    std::_Exit(77);
  }
  std::vector<std::filesystem::path> dirs;
  for (const auto& e : std::filesystem::directory_iterator(kNodeTests))
    if (std::filesystem::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  struct Row {
    int passed = 0, failed = 0, unsupported = 0, random = 0;
  };
  std::map<std::string, Row> table;
  std::vector<std::string> failures, refusals;
  // VKNN_NODE_TESTS_VERBOSE=1 also lists why each refused test was refused.
  const bool verbose = std::getenv("VKNN_NODE_TESTS_VERBOSE") != nullptr;
  Row total;
  for (const auto& dir : dirs) {
    const Outcome r = run_node_test(dir);
    std::string op = op_of(dir);
    if (op.rfind("(expanded)", 0) == 0) op = "(expanded functions)";
    Row& row = table[op];
    switch (r.kind) {
      case Outcome::passed: ++row.passed, ++total.passed; break;
      case Outcome::failed:
        ++row.failed, ++total.failed;
        failures.push_back(fmt::format("{}: {}", dir.filename().string(), r.why));
        break;
      case Outcome::unsupported:
        ++row.unsupported, ++total.unsupported;
        refusals.push_back(fmt::format("{} [{}]: {}", dir.filename().string(), op, r.why));
        break;
      case Outcome::random: ++row.random, ++total.random; break;
    }
  }
  std::string out = fmt::format("{:<28} {:>6} {:>6} {:>11} {:>6}\n", "op", "passed", "failed", "unsupported", "random");
  for (const auto& [op, row] : table)
    if (row.passed + row.failed + row.random > 0)
      out += fmt::format("{:<28} {:>6} {:>6} {:>11} {:>6}\n", op, row.passed, row.failed, row.unsupported, row.random);
  std::string none;
  for (const auto& [op, row] : table)
    if (row.passed + row.failed + row.random == 0) none += (none.empty() ? "" : ", ") + op;
  out += fmt::format("{:<28} {:>6} {:>6} {:>11} {:>6}\n", "total", total.passed, total.failed, total.unsupported,
                     total.random);
  out += fmt::format("ops with no imported test: {}\n", none);
  std::printf("%s", out.c_str());
  for (const auto& f : failures) std::printf("FAILED %s\n", f.c_str());
  if (verbose)
    for (const auto& f : refusals) std::printf("unsupported %s\n", f.c_str());
  std::fflush(stdout);
  CHECK(total.failed == 0);
  CHECK(total.passed > 0);
}

}  // namespace vknn::test
