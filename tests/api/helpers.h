// Helpers of the embedding-API tests: lending a host device, inputs, weights files, and
// checking refusals (code and message).
#pragma once

#include "host.h"

#include "vknn/vknn.h"
#include "vknn/vknn.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace apitest {

// What the host lends, with its queue lock hooks.
vknn::api::HostDevice lend(host::Device& dev);
vknn_host_device lend_c(host::Device& dev);

// Deterministic values in [-1, 1).
std::vector<float> inputs(size_t n, uint32_t seed);

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;  // empty: zeros
};
// Writes a safetensors file (8-byte header length, JSON header, F32 data).
void write_safetensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors);
// Reads a safetensors file of F32 tensors (as the trainer writes them): name -> values.
std::map<std::string, std::vector<float>> read_safetensors(const std::filesystem::path& path);
// LeNet's parameters (conv1..fc2) at 10 classes, all zero except fc2.bias = `bias`;
// `conv1_kernel` changes conv1.weight's shape (5 is right).
std::vector<NamedTensor> lenet_weights(const std::vector<float>& bias, int64_t conv1_kernel = 5);
std::filesystem::path temp_path(const std::string& name);
// VKNN_API_ONNX_DIR/<name> (the folder of the models PyTorch exports at test time, from
// CMake), or a skip of the test program (exit 77) when the export did not run.
std::filesystem::path onnx_file(const std::string& name);

// The fixture dataset of the trainer tests (VKNN_TEST_TRAIN_DATA, written by the "cli: train
// fixture data" test), or "" when it is missing: the tests then skip.
std::string train_data();
// Steps `t` to the end of its run, ending each epoch and checking each loss is finite;
// returns the validations.
std::vector<vknn::api::Evaluation> run_to_end(vknn::api::Trainer& t);

// `f` must throw vknn::api::Error with `code` and a message containing each of `parts`.
template <class F>
void check_throws(F&& f, int code, std::initializer_list<std::string> parts) {
  try {
    f();
    FAIL("no vknn::api::Error was thrown");
  } catch (const vknn::api::Error& e) {
    CHECK_MESSAGE(e.code() == code, "code " << vknn_status_name(e.code()) << ", expected "
                                            << vknn_status_name(code) << ": " << e.what());
    const std::string m = e.what();
    for (const auto& p : parts) CHECK_MESSAGE(m.find(p) != std::string::npos, m << " (missing '" << p << "')");
  }
}

// A C call's status must be `code`, and vknn_last_error() must contain each of `parts`.
void check_status(vknn_status got, vknn_status code, std::initializer_list<std::string> parts);

// Largest |a - b| over max(1, |b|); the sizes must match.
double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b);

// A memory barrier in the host's own command buffer, e.g. transfer write -> host read.
void host_barrier(VkCommandBuffer cmd, VkPipelineStageFlags src, VkAccessFlags src_access, VkPipelineStageFlags dst,
                  VkAccessFlags dst_access);

}  // namespace apitest
