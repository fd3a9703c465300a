#include "vknn/data/loader.h"

#include <algorithm>
#include <numeric>

namespace vknn::data {

std::vector<int64_t> BatchLoader::epoch_order(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  if (!shuffle || n < 2) return order;
  // The shuffle's stream: index 2^64-1 is never a sample index.
  Rng rng(seed, epoch, ~uint64_t(0));
  for (int64_t i = n - 1; i > 0; --i) {
    // n beyond 2^32 is not a dataset this loader will see; below() takes 32 bits.
    const int64_t j = int64_t(rng.below(uint32_t(i + 1)));
    std::swap(order[size_t(i)], order[size_t(j)]);
  }
  return order;
}

BatchLoader::BatchLoader(std::vector<int32_t> labels, SampleShape shape, SampleFn fn, LoaderOptions opt)
    : labels_(std::move(labels)), shape_(shape), fn_(std::move(fn)), opt_(opt) {
  for (int32_t l : labels_) ++class_size_[l];
}

Result<std::unique_ptr<BatchLoader>> BatchLoader::create(std::vector<int32_t> labels, SampleShape shape, SampleFn fn,
                                                         LoaderOptions opt) {
  if (labels.empty()) return make_error(Errc::invalid_argument, "BatchLoader: the dataset is empty");
  if (labels.size() > (size_t(1) << 32))
    return make_error(Errc::invalid_argument, "BatchLoader: {} samples is more than 2^32", labels.size());
  if (opt.batch_size <= 0 || opt.threads <= 0 || opt.prefetch <= 0)
    return make_error(Errc::invalid_argument, "BatchLoader: batch_size {}, threads {} and prefetch {} must be positive",
                      opt.batch_size, opt.threads, opt.prefetch);
  if (shape.views <= 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
    return make_error(Errc::invalid_argument, "BatchLoader: bad sample shape {}x({},{},{})", shape.views, shape.c,
                      shape.h, shape.w);
  if (opt.drop_last && labels.size() < size_t(opt.batch_size))
    return make_error(Errc::invalid_argument, "BatchLoader: drop_last with {} samples and batch size {} gives no batch",
                      labels.size(), opt.batch_size);
  if (!fn) return make_error(Errc::invalid_argument, "BatchLoader: no sample function");
  const Partition& part = opt.part;
  if (part.slice_end != 0 &&
      !(part.slice_begin >= 0 && part.slice_begin < part.slice_end && part.slice_end <= opt.batch_size && opt.drop_last))
    return make_error(Errc::invalid_argument,
                      "BatchLoader: slice [{}, {}) of batches of {} (a slice needs full batches: drop_last)",
                      part.slice_begin, part.slice_end, opt.batch_size);
  if (part.shards < 1 || part.shard < 0 || part.shard >= part.shards)
    return make_error(Errc::invalid_argument, "BatchLoader: shard {} of {}", part.shard, part.shards);
  std::unique_ptr<BatchLoader> l(new BatchLoader(std::move(labels), shape, std::move(fn), opt));
  for (int i = 0; i < opt.threads; ++i) l->threads_.emplace_back([p = l.get()] { p->worker(); });
  return l;
}

Result<std::unique_ptr<BatchLoader>> BatchLoader::from_dataset(std::shared_ptr<const Dataset> ds, ArrayAugment aug,
                                                               LoaderOptions options) {
  if (!ds || ds->n == 0) return make_error(Errc::invalid_argument, "BatchLoader::from_dataset: empty dataset");
  const int c = int(ds->c), h = int(ds->h), w = int(ds->w);
  const int ph = h + 2 * aug.pad, pw = w + 2 * aug.pad;
  if (aug.pad < 0 || aug.crop < 0 || aug.crop > std::min(ph, pw))
    return make_error(Errc::invalid_argument, "BatchLoader::from_dataset: crop {} with pad {} does not fit {}x{}",
                      aug.crop, aug.pad, h, w);
  if ((!aug.mean.empty() && aug.mean.size() != size_t(c)) || (!aug.stddev.empty() && aug.stddev.size() != size_t(c)))
    return make_error(Errc::invalid_argument, "BatchLoader::from_dataset: mean/std need {} values", c);
  SampleShape shape{1, c, aug.crop ? aug.crop : ph, aug.crop ? aug.crop : pw};
  SampleFn fn = [ds, aug, c, h, w, ph, pw](int64_t index, Rng& rng, std::span<float> out) -> Status {
    Tensor3 t(c, ph, pw);
    const auto src = ds->image(index);
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        std::copy_n(&src[(size_t(ch) * size_t(h) + size_t(y)) * size_t(w)], size_t(w),
                    &t.at(ch, y + aug.pad, aug.pad));
    if (aug.crop) t = random_crop(t, aug.crop, rng);
    if (aug.flip && (rng.next_u32() & 1u)) hflip(t);
    normalize(t, aug.mean, aug.stddev);
    std::copy(t.data.begin(), t.data.end(), out.begin());
    return {};
  };
  return create(ds->labels, shape, std::move(fn), options);
}

Result<std::unique_ptr<BatchLoader>> BatchLoader::from_image_folder(std::shared_ptr<const ImageFolder> folder,
                                                                    PreprocessConfig cfg, LoaderOptions options) {
  if (!folder || folder->files.empty())
    return make_error(Errc::invalid_argument, "BatchLoader::from_image_folder: no images");
  if (cfg.crop <= 0 || (cfg.resize_shorter > 0 && cfg.resize_shorter < cfg.crop))
    return make_error(Errc::invalid_argument, "BatchLoader::from_image_folder: crop {} must be positive and at most resize {}",
                      cfg.crop, cfg.resize_shorter);
  if ((!cfg.mean.empty() && cfg.mean.size() != 3) || (!cfg.stddev.empty() && cfg.stddev.size() != 3))
    return make_error(Errc::invalid_argument, "BatchLoader::from_image_folder: mean/std need 3 values");
  SampleShape shape{cfg.views(), 3, cfg.crop, cfg.crop};
  SampleFn fn = [folder, cfg](int64_t index, Rng& rng, std::span<float> out) -> Status {
    // A large JPEG may be decoded scaled down when the resize reduces it 8x or more (image.h).
    const DecodeOptions decode{std::max(cfg.resize_shorter, 0)};
    VKNN_ASSIGN(auto img, load_image(folder->files[size_t(index)], decode));
    if (cfg.resize_shorter <= 0 && std::min(img.height, img.width) < cfg.crop)
      return make_error(Errc::invalid_argument, "{}: {}x{} is smaller than the crop {}",
                        folder->files[size_t(index)].string(), img.width, img.height, cfg.crop);
    preprocess(img, cfg, rng, out);
    return {};
  };
  return create(folder->labels, shape, std::move(fn), options);
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  ready_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

int64_t BatchLoader::batches_per_epoch() const {
  const int64_t n = size(), b = opt_.batch_size;
  const int64_t all = opt_.drop_last ? n / b : (n + b - 1) / b;
  const Partition& p = opt_.part;
  return all > p.shard ? (all - p.shard + p.shards - 1) / p.shards : 0;
}

void BatchLoader::start_epoch(uint64_t epoch, int64_t first_batch) {
  auto order = epoch_order(size(), opt_.seed, epoch, opt_.shuffle);
  {
    std::lock_guard lock(mu_);
    ++generation_;  // batches still being built for the old epoch are dropped when they finish
    epoch_ = epoch;
    order_ = std::move(order);
    ready_.clear();
    num_batches_ = batches_per_epoch();
    next_claim_ = next_consume_ = std::clamp<int64_t>(first_batch, 0, num_batches_);
    epoch_active_ = true;
  }
  work_cv_.notify_all();
}

std::optional<Batch> BatchLoader::next() {
  std::unique_lock lock(mu_);
  if (error_ || !epoch_active_ || next_consume_ >= num_batches_) return std::nullopt;
  ready_cv_.wait(lock, [&] { return stop_ || error_ || ready_.count(next_consume_) > 0; });
  if (stop_ || error_) return std::nullopt;
  auto node = ready_.extract(next_consume_);
  ++next_consume_;
  lock.unlock();
  work_cv_.notify_all();  // a prefetch slot is free
  return std::move(node.mapped());
}

int64_t BatchLoader::failed_samples() const {
  std::lock_guard lock(mu_);
  return failed_;
}

std::string BatchLoader::last_failure() const {
  std::lock_guard lock(mu_);
  return last_failure_;
}

Status BatchLoader::status() const {
  std::lock_guard lock(mu_);
  if (error_) return *error_;
  return {};
}

void BatchLoader::worker() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] {
      return stop_ || (epoch_active_ && next_claim_ < num_batches_ && next_claim_ < next_consume_ + opt_.prefetch);
    });
    if (stop_) return;
    if (error_) {  // the loader has failed: build nothing more (next() returns nullopt)
      ready_cv_.notify_all();
      work_cv_.wait(lock, [&] { return stop_; });
      return;
    }
    const int64_t b = next_claim_++;
    const uint64_t gen = generation_, epoch = epoch_;
    ++in_flight_;
    lock.unlock();
    Batch batch = build(epoch, b);  // reads order_ only through a copy taken in build
    lock.lock();
    --in_flight_;
    if (gen == generation_) {
      ready_.emplace(b, std::move(batch));
      ready_cv_.notify_all();
    }
  }
}

bool BatchLoader::note_failure(int64_t sample) {
  const int32_t label = labels_[size_t(sample)];
  if (failed_samples_.emplace(sample, label).second) ++failed_per_class_[label];
  const int64_t bad = failed_per_class_[label], n = class_size_[label];
  if (!error_ && double(bad) > opt_.max_unreadable * double(n))
    error_ = make_error(Errc::parse, "{} of the {} samples of class {} are unreadable, more than {:g}% (last: {})", bad, n,
                        label, 100 * opt_.max_unreadable, last_failure_);
  if (error_) ready_cv_.notify_all();
  return bool(error_);
}

Batch BatchLoader::build(uint64_t epoch, int64_t b) {
  std::vector<int64_t> idx;
  {
    std::lock_guard lock(mu_);
    if (epoch != epoch_) return {};  // superseded by start_epoch; the result is dropped
    const Partition& p = opt_.part;
    const int64_t global = p.shard + b * p.shards;
    int64_t begin = global * opt_.batch_size, end = std::min<int64_t>(begin + opt_.batch_size, size());
    if (p.slice_end != 0) end = begin + p.slice_end, begin += p.slice_begin;  // full batches (drop_last)
    idx.assign(order_.begin() + begin, order_.begin() + end);
  }
  Batch batch;
  batch.epoch = epoch;
  batch.index = opt_.part.shard + b * opt_.part.shards;
  batch.n = int64_t(idx.size()) * shape_.views;
  batch.c = shape_.c;
  batch.h = shape_.h;
  batch.w = shape_.w;
  const int64_t per = shape_.floats();
  batch.images.assign(size_t(int64_t(idx.size()) * per), 0.0f);
  batch.labels.reserve(size_t(batch.n));
  for (size_t s = 0; s < idx.size(); ++s) {
    std::span<float> out(batch.images.data() + int64_t(s) * per, size_t(per));
    int64_t sample = idx[s];
    // An unreadable sample is replaced by the next one in the dataset (deterministic, since
    // whether a file decodes does not depend on timing), until more than max_unreadable of
    // its class has failed: then the loader stops with an error rather than train on the
    // remaining few images, or on zeros when none is left.
    bool loaded = false;
    for (int64_t tries = 0; tries < size() && !loaded; ++tries) {
      Rng rng(opt_.seed, epoch, uint64_t(sample));
      Status st = fn_(sample, rng, out);
      if (st.ok()) {
        loaded = true;
        break;
      }
      std::lock_guard lock(mu_);
      ++failed_;
      last_failure_ = st.error().message;
      if (note_failure(sample)) return {};  // the loader has failed; next() stops
      sample = (sample + 1) % size();
    }
    if (!loaded) {
      std::lock_guard lock(mu_);
      if (!error_) error_ = make_error(Errc::parse, "no sample of the {} loads (last: {})", size(), last_failure_);
      ready_cv_.notify_all();
      return {};
    }
    batch.sample_indices.push_back(sample);
    for (int v = 0; v < shape_.views; ++v) batch.labels.push_back(labels_[size_t(sample)]);
  }
  return batch;
}

}  // namespace vknn::data
