// Pieces shared by the `vknn bench` forms.
#pragma once

#include "vknn/dist/allreduce.h"
#include "vknn/graph/precision.h"
#include "vknn/models/model.h"

#include <chrono>
#include <string>

namespace vknn::tools {

// The JSON schema tag every `vknn bench` JSON document carries (docs/bench-json.md).
inline constexpr const char* kBenchSchema = "vknn-bench-1";

// A built-in network by name, or an ONNX file imported at `batch`; an inference graph goes
// through the inference-graph optimizer unless `optimize` is false.
Result<models::Model> bench_network(const std::string& name, int64_t batch, bool training, bool optimize = true,
                                     Precision precision = Precision::fp32);

// `vknn bench --model M --train` under mpirun (bench_dp.cpp).
struct DataParallelBench {
  std::string model;
  int64_t batch = 1;  // global
  int iters = 10, warmup = 2, rounds = 3;
  bool json = false;
  uint64_t bucket_bytes = dist::kDefaultBucketBytes;
  bool sync_bn = false;  // the job's graph synchronizes its batch norms; one rank alone keeps its own
  std::chrono::milliseconds timeout{120'000};
};
int bench_data_parallel(const DataParallelBench& cfg, const std::string& device);

}  // namespace vknn::tools
