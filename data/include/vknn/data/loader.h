// BatchLoader: assembles batches on background worker threads with a bounded prefetch queue.
// Batch b of epoch e holds samples order_e[b*B .. b*B+B), where order_e is a Fisher-Yates
// shuffle keyed by (seed, e); each sample gets Rng(seed, e, dataset index). The output is
// therefore identical for any number of threads and any scheduling.
#pragma once

#include "vknn/data/datasets.h"
#include "vknn/data/image.h"
#include "vknn/data/transforms.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace vknn::data {

struct Batch {
  uint64_t epoch = 0;
  int64_t index = 0;            // batch number within the epoch
  int64_t n = 0, c = 0, h = 0, w = 0;  // n = samples * views
  std::vector<float> images;    // (n, c, h, w)
  std::vector<int32_t> labels;  // n (a sample's label repeated for each of its views)
  std::vector<int64_t> sample_indices;  // dataset index of each sample (not per view)
};

struct SampleShape {
  int views = 1, c = 0, h = 0, w = 0;
  int64_t floats() const { return int64_t(views) * c * h * w; }
};

// Fills views*c*h*w floats for dataset sample `index`. An error (an unreadable image) makes
// the loader use the next sample in the dataset instead, deterministically, and count it;
// when more than LoaderOptions::max_unreadable of a class's samples have failed, the loader
// stops with an error (status()).
using SampleFn = std::function<Status(int64_t index, Rng& rng, std::span<float> out)>;

// Data-parallel ranks share an epoch's batches.
struct Partition {
  // Each batch of batch_size samples (in the epoch's order) is the global batch, and this
  // loader delivers only its positions [slice_begin, slice_end): the rank's slice, so that
  // the global batch is the same samples whatever the number of ranks. slice_end 0: all.
  int64_t slice_begin = 0, slice_end = 0;
  // Batch k of this loader is batch shard + k * shards of the epoch (evaluation: each rank
  // scores every shards-th batch).
  int64_t shard = 0, shards = 1;
};

struct LoaderOptions {
  int batch_size = 32;
  int threads = 2;
  int prefetch = 4;  // batches ready or being built ahead of the consumer
  uint64_t seed = 0;
  bool shuffle = true;
  bool drop_last = false;
  // Largest fraction of a class's samples that may fail to load (each is replaced by the next
  // readable one); beyond it the loader stops: next() returns nullopt and status() the error.
  double max_unreadable = kMaxUnreadableFraction;
  Partition part;
};

class BatchLoader {
 public:
  // labels[i] is sample i's label; sample_fn must be safe to call from several threads.
  static Result<std::unique_ptr<BatchLoader>> create(std::vector<int32_t> labels, SampleShape shape, SampleFn sample_fn,
                                                     LoaderOptions options);
  // In-memory dataset: optional random crop (zero padding `pad` first, as for CIFAR) and flip.
  struct ArrayAugment {
    int pad = 0;
    int crop = 0;  // 0 = no crop
    bool flip = false;
    std::vector<float> mean, stddev;
  };
  static Result<std::unique_ptr<BatchLoader>> from_dataset(std::shared_ptr<const Dataset> ds, ArrayAugment aug,
                                                           LoaderOptions options);
  // Image folder: decode + preprocess each image with `cfg`.
  static Result<std::unique_ptr<BatchLoader>> from_image_folder(std::shared_ptr<const ImageFolder> folder,
                                                                PreprocessConfig cfg, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Begins (or restarts) epoch `epoch` at batch `first_batch` (a resumed run skips the
  // batches it has done without building them); abandons what is left of the current one.
  void start_epoch(uint64_t epoch, int64_t first_batch = 0);
  // The next batch of the current epoch, or nullopt when the epoch is done or the loader
  // has failed (check status() after the loop).
  std::optional<Batch> next();
  // An error once more than options.max_unreadable of some class's samples failed to load
  // (naming the class, the counts and the last failure, which names the file); sticky.
  Status status() const;
  // Batches this loader delivers per epoch (of its partition).
  int64_t batches_per_epoch() const;
  int64_t size() const { return int64_t(labels_.size()); }
  SampleShape shape() const { return shape_; }
  // Samples replaced because sample_fn failed (cumulative), and the last such error.
  int64_t failed_samples() const;
  std::string last_failure() const;

  // The epoch's sample order (exposed for tests).
  static std::vector<int64_t> epoch_order(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle);

 private:
  BatchLoader(std::vector<int32_t> labels, SampleShape shape, SampleFn fn, LoaderOptions opt);
  void worker();
  Batch build(uint64_t epoch, int64_t b);
  // Counts a failed sample (under mu_); true once the loader has failed.
  bool note_failure(int64_t sample);

  std::vector<int32_t> labels_;
  SampleShape shape_;
  SampleFn fn_;
  LoaderOptions opt_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_;
  std::vector<std::thread> threads_;
  bool stop_ = false;
  bool epoch_active_ = false;
  uint64_t epoch_ = 0;
  uint64_t generation_ = 0;  // bumped by start_epoch; stale batches are dropped
  std::vector<int64_t> order_;
  int64_t next_claim_ = 0, next_consume_ = 0, num_batches_ = 0;
  int in_flight_ = 0;
  std::map<int64_t, Batch> ready_;
  int64_t failed_ = 0;
  std::string last_failure_;
  std::map<int32_t, int64_t> class_size_;      // samples per label
  std::map<int64_t, int32_t> failed_samples_;  // distinct failed sample -> its label
  std::map<int32_t, int64_t> failed_per_class_;
  std::optional<Error> error_;  // sticky: too many unreadable samples
};

}  // namespace vknn::data
