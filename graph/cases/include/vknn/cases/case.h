// Op cases: one description per case of an op, read by everything that exercises the op.
//   - the GPU suite (tests/ops) fills the tensors, records the steps, and compares each
//     checked tensor with a double-precision reference that the tests attach by op name;
//   - the reference suite (tests/reference) checks that reference's backward against
//     central finite differences on the same tensors;
//   - `vknn bench ops` times the steps of the cases that name a model layer;
//   - shader coverage: every shader must be claimed by a tested case, and the GPU suite holds
//     each case to exactly the shaders it claims.
// The descriptions live here (library vknn_cases, one file per op under graph/cases/ops/)
// and not under tests/, because the shipped benchmark reads them and must not link test
// code; the references stay in tests/ (see docs/adding-an-op.md).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/tensor.h"
#include "vknn/shader_ids.h"

#include <any>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace vknn::cases {

// How a tensor's initial contents are made (from the case's seed and the tensor's place).
struct Fill {
  enum class Kind { uniform, zeros, labels, copy } kind = Kind::uniform;
  float lo = -1.0f, hi = 1.0f;  // uniform
  float quantize = 0;           // uniform: > 0 rounds to multiples of 1/quantize (ties on purpose)
  // uniform: values written over the random ones at spread positions (i * 7919 % n), for
  // kinks and tails. The finite-difference check leaves them out: a derivative at a kink is
  // a convention, not a limit.
  std::vector<float> special;
  int64_t classes = 0;  // labels: int32 class indices in [0, classes), stored in the float's bits
  std::string source;   // copy: the initial contents of this (earlier) tensor
};
Fill uniform(float lo = -1.0f, float hi = 1.0f);
Fill zeros();
Fill labels(int64_t classes);
Fill copy_of(std::string tensor);

struct TensorSpec {
  std::string name;
  Shape shape;
  Fill fill;
};

using Views = std::map<std::string, TensorView>;
using Record = std::function<Status(CommandList&, const Views&)>;

struct Step {
  std::string name;  // the op as `vknn bench ops` prints it: "lrn_forward", "relu_forward (in place)"
  Record record;
  bool bench = false;  // timed by `vknn bench ops` (with the steps before it recorded once as setup)
  double flops = 0;    // > 0: the benchmark reports GFLOP/s
  double bytes = 0;    // else GB/s over these bytes
};

struct Tolerance {
  double abs = 1e-5;
  double rel = 1e-4;
};

// fp16 variants: the case holds fp32 tensors (filled, checked), casts the inputs into fp16
// scratch tensors, runs the op on their fp16 views and casts the outputs back, so the checks
// compare fp32 tensors with the double reference as for any case.
// The fp16 view of a case tensor's buffer (the same elements in half its bytes).
inline TensorView as_f16(const TensorView& v) { return {.buffer = v.buffer, .shape = v.shape, .dtype = DType::f16}; }
// A step casting `from` into the fp16 view of `to` (to_half) or the fp16 view of `from` into
// `to` (!to_half).
Step cast_step(std::string from, std::string to, bool to_half);

// After the steps ran, `tensor` must equal the reference's output `expect` (plus the
// tensor's initial contents when `accumulate`): within `tol` (absolute OR relative), or
// exactly as int32 indices when `exact_int32`.
struct Check {
  std::string tensor, expect;
  Tolerance tol;
  bool accumulate = false;
  bool exact_int32 = false;
  // > 0: only the first, the last and this many elements drawn from the case's seed are
  // compared (checked_indices), for real layers whose reference is too slow to compute whole;
  // the reference may then compute just those elements.
  size_t samples = 0;
};

// The reference's output `expect` is d loss / d `input`, where
// loss = sum over `loss` of dot(reference output `output`, initial contents of `weight`)
// (a plain sum where `weight` is empty).
struct Gradient {
  std::string input, expect;
};
struct LossTerm {
  std::string output, weight;
};

struct OpCase {
  std::string op;    // the op's stem (its file under graph/cases/ops/); set by all_cases()
  std::string name;  // what this case is, for messages: "(2,3,5,7) size 3 alpha 0.1"
  // A real layer, named for `vknn bench ops` ("alexnet", "norm1"); empty for the odd shapes.
  std::string model, layer;
  std::any params;  // the op's params struct, for the reference (std::any_cast)
  std::vector<TensorSpec> tensors;
  // Optional: adjusts the filled contents, for data a Fill cannot say (ties planted at each
  // row's label, gradients of varied scale). Every reader sees the adjusted contents.
  std::function<void(std::map<std::string, std::vector<float>>&)> adjust;
  std::vector<Step> steps;  // recorded in order into one command list
  std::vector<Check> checks;
  std::vector<Gradient> gradients;
  std::vector<LossTerm> loss;
  // Outputs of the steps that the reference reads as the device left them, for a decision the
  // reference must take as the device took it: batchnorm's fused-ReLU backward masks dy by the
  // device's y > 0, and an element of y within fp32 rounding of zero must not flip the mask.
  // The device test runs the steps first and hands each to the reference under the name
  // device_output(tensor); the finite-difference check has none, and the reference then takes
  // its own value (its inputs there are exact, so there is nothing to disagree with).
  std::vector<std::string> device_outputs;
  std::vector<ShaderId> shaders;  // exactly the shaders the steps dispatch
  // Where the device profile chooses the kernels (linear's matrix-vector kernel, matmul's
  // automatic variant, conv2d's forward path and split reduction): exactly the shaders the
  // steps dispatch on this device, which the device test holds the case to. `shaders` may then
  // list every one any profile may take (they count for coverage), or stay empty.
  std::function<std::vector<ShaderId>(Context&)> shaders_on;
  // Scratch bytes the steps need on this device, bound as the view "workspace" (an empty
  // view when 0).
  std::function<Result<uint64_t>(const Context&)> workspace;
  uint32_t seed = 1;
  bool test = true;   // false: too large for the reference, only the benchmark runs it
  bool bench = true;  // false: a layer shape the tests want but `vknn bench ops` leaves out

  const TensorSpec& tensor(const std::string& tensor_name) const;  // throws std::out_of_range
  const Shape& shape(const std::string& tensor_name) const { return tensor(tensor_name).shape; }
  std::string title() const { return op + " " + name; }
};

// The name under which the reference finds tensor `tensor` of OpCase::device_outputs as the
// device left it ("y@device").
std::string device_output(const std::string& tensor);

// The shaders `c` claims on this device: shaders_on(ctx) when set, else shaders.
std::vector<ShaderId> claimed_shaders(const OpCase& c, Context& ctx);

// The flat indices of tensor k.tensor that check k compares: all of them, or, with
// k.samples > 0, the first, the last and k.samples drawn from the case's seed and k.expect
// (the same for every check of one expected output).
std::vector<size_t> checked_indices(const OpCase& c, const Check& k);

// Every op's cases, ops in file order; layer shapes at batch `batch` (tests use 1 or 2).
std::vector<OpCase> all_cases(int64_t batch);
std::vector<OpCase> op_cases(const std::string& op, int64_t batch);
// The stems that have a case file.
std::vector<std::string> op_names();

// Initial contents of every tensor of `c`, by name (copies resolved); `special` false leaves
// the Fill::special values out.
std::map<std::string, std::vector<float>> initial_contents(const OpCase& c, bool special = true);

// Device buffers holding `contents` (as made by initial_contents), one per tensor, and the
// workspace.
struct DeviceTensors {
  std::vector<Buffer> buffers;
  Views views;
};
Result<DeviceTensors> upload(Context& ctx, const OpCase& c, const std::map<std::string, std::vector<float>>& contents);

// Records steps [first, last) of `c`; the error names the case and the step.
Status record_steps(CommandList& cl, const OpCase& c, const Views& views, size_t first, size_t last);

}  // namespace vknn::cases
