// What a model name means for training and evaluation: the model table (input size,
// normalisation, augmentation), dataset detection, the per-model preprocessing, the
// loaders and the evaluation pass. Shared by the Trainer, `vknn eval` and `vknn infer`.
#pragma once

#include "vknn/data/datasets.h"
#include "vknn/data/image.h"
#include "vknn/data/loader.h"
#include "vknn/data/transforms.h"
#include "vknn/graph/executor.h"
#include "vknn/models/model.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vknn::train {

// A network the caller builds in code (the embedding API's Network) instead of naming one.
struct CodeModel {
  // Says what the network is, layer by layer: the same network gives the same text, so that
  // checkpoints name it by its SHA-256 (as an ONNX file is named by its bytes').
  std::string description;
  // The forward graph at a batch: (N,C,H,W) images and (N,classes) logits, no labels or loss.
  std::function<Result<models::Model>(int64_t batch)> build;
};

// What a model name means for input and preprocessing.
struct ModelSpec {
  std::string name;          // a built-in name or the path of an .onnx file
  // What checkpoints record as their model: the built-in name, or for an ONNX file
  // "onnx-sha256:" and the SHA-256 of its bytes (the same network under any path).
  std::string id;
  bool onnx = false;
  std::shared_ptr<const CodeModel> code;  // a network defined in code: name is "network", id its hash
  int channels = 3;
  int size = 32;             // square input
  int resize_shorter = 0;    // ImageNet models: 256, then crop `size`
  int default_classes = 10;
  std::vector<float> mean, stddev;  // per channel; empty = none
  // Training augmentation with the AlexNet paper's colour PCA (§4.1), eigenvectors of the
  // RGB covariance of the training pixels.
  bool pca = false;
  std::optional<data::ColorPca> color_pca;  // filled by make_loader from the training images
};

// Known names: lenet, cifar-resnet20/32/44/56, cifar-plain20/32/44/56, resnet18/34/50, alexnet,
// or a path ending in .onnx (onnx::resolve_model). An ONNX file's spec comes from the (N,C,H,W)
// shape of its first input (square, 1 to 4 channels) and its (N,classes) output. Its images
// are preprocessed like torchvision's ImageNet models (shorter side to size * 256/224, centre
// crop, ImageNet mean and std) when it takes 3 channels of 64 pixels or more, and only scaled
// to [0, 1] otherwise.
Result<ModelSpec> model_spec(const std::string& name);
// The spec of a network defined in code, as of an ONNX file: its input and classes from the
// graph it builds (at batch 1), preprocessed by the same rule; id "network-sha256:" and the
// SHA-256 of its description.
Result<ModelSpec> code_model_spec(std::shared_ptr<const CodeModel> code);
// `spec` at another square input side (0: unchanged); ImageNet nets keep the 256/224 ratio of
// resize to crop. An ONNX file or a network defined in code fixes its own: any other size is
// refused.
Result<ModelSpec> with_input_size(ModelSpec spec, int size);
// The graph of `spec` at `batch`, with labels and the loss when `training`. Built-in models
// and ONNX files alike (onnx::resolve_model), and networks defined in code; an ONNX file's
// or a code network's classes are its own, and `classes` must equal them (0: its own).
Result<models::Model> build_model(const ModelSpec& spec, int64_t batch, int64_t classes, bool training,
                                  float label_smoothing = 0.0f);


// A dataset directory: IDX, CIFAR-10 binary or image folder (train/ and test/ or val/).
struct DataSource {
  enum class Kind { idx, cifar, folder } kind = Kind::idx;
  std::filesystem::path root;
  std::shared_ptr<const data::Dataset> train, test;           // idx, cifar
  std::shared_ptr<const data::ImageFolder> train_f, test_f;   // folder
  int32_t classes = 0;
  std::vector<std::string> class_names;  // empty if unknown
  std::vector<std::string> warnings;     // from scanning image folders (unreadable files, ...)
  const char* kind_name() const;
  int64_t size(bool train_split) const;
};
// Loads the test split always and the training split only if `need_train`.
Result<DataSource> open_data(const std::filesystem::path& root, bool need_train);

// The training augmentation make_loader applies for `spec` on `src`, in words (recorded with
// a run, so that resuming under another recipe is noticed).
std::string augmentation_name(const ModelSpec& spec, const DataSource& src);

// Preprocesses one decoded image for `spec` (train: random augmentation) into
// spec.channels * spec.size^2 floats, or 10 times that for the 10-crop evaluation (the four
// corners and the centre, and their mirror images; ImageNet models only).
void prepare_image(const data::Image& img, const ModelSpec& spec, bool train, data::Rng& rng, std::span<float> out,
                   bool ten_crop = false);

// A subset of n of the samples whose labels are `labels`, stratified: each class keeps its
// share (largest remainders get the rounding), its members drawn at random keyed by (seed,
// class). Indices ascending; all of them when n <= 0 or n >= size.
std::vector<int64_t> stratified_subset(const std::vector<int32_t>& labels, int64_t n, uint64_t seed);
// The seed of --limit and --val-limit subsets: fixed, so every run and `vknn eval` pick the same.
inline constexpr uint64_t kSubsetSeed = 20121203;

// limit > 0: a stratified subset of that many samples (stratified_subset, kSubsetSeed).
// ten_crop: each sample is 10 views (image folders with ImageNet models only).
// part: a data-parallel rank's share of each epoch (data::Partition).
Result<std::unique_ptr<data::BatchLoader>> make_loader(const DataSource& src, const ModelSpec& spec, bool train_split,
                                                       bool augment, int batch, int threads, uint64_t seed,
                                                       int64_t limit = 0, bool ten_crop = false,
                                                       data::Partition part = {});

// What a checkpoint says about itself (the metadata the Trainer writes): the model, its
// classes and their names, the input and the normalisation. Fields stay empty (0) where the
// file says nothing, as in weights from elsewhere.
struct CheckpointInfo {
  std::string model;
  int64_t classes = 0;
  std::vector<std::string> class_names;
  int64_t input_channels = 0, input_size = 0;
  std::vector<float> mean, stddev;
};
Result<CheckpointInfo> read_checkpoint_info(const std::filesystem::path& weights);

struct EvalResult {
  double loss = 0, top1 = 0, top5 = 0;  // mean loss, accuracies in [0, 1]
  int64_t samples = 0;
};
// One pass over the loader's epoch 0 with ex.infer(); full batches use the graph's
// loss/top1/top5 outputs, a partial last batch is zero-padded and scored on the host from
// the logits (same tie rule as the loss op).
// With views > 1 (10-crop) the graph's batch holds views images per sample; the softmax
// probabilities of a sample's views are averaged and scored on the host.
// on_batch (optional) is told the samples done after each batch.
using EvalProgress = std::function<void(int64_t samples_done)>;
Result<EvalResult> evaluate(Executor& ex, const models::Model& m, data::BatchLoader& loader, int views = 1,
                            const EvalProgress& on_batch = {});
// The sums behind evaluate() (one view per sample): loss, top1 and top5 summed over the
// samples, for a data-parallel rank that scores a share of the split. No samples is no error.
struct EvalSums {
  double loss = 0, top1 = 0, top5 = 0;
  int64_t samples = 0;
};
Result<EvalSums> evaluate_sums(Executor& ex, const models::Model& m, data::BatchLoader& loader,
                               const EvalProgress& on_batch = {});

}  // namespace vknn::train
