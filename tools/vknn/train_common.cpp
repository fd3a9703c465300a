#include "train_common.h"

#include "vknn/models/by_name.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <unistd.h>

namespace vknn::tools {
namespace fs = std::filesystem;

namespace {
const std::vector<float> kCifarMean = {0.4914f, 0.4822f, 0.4465f}, kCifarStd = {0.2470f, 0.2435f, 0.2616f};
const std::vector<float> kImageNetMean = {0.485f, 0.456f, 0.406f}, kImageNetStd = {0.229f, 0.224f, 0.225f};
}  // namespace

Result<ModelSpec> model_spec(const std::string& name) {
  ModelSpec s;
  s.name = name;
  if (name == "lenet" || name == "lenet-wide") {
    s.channels = 1, s.size = 28;
    return s;
  }
  for (const char* prefix : {"cifar-resnet", "cifar-plain"}) {
    const std::string p = prefix;
    if (name.rfind(p, 0) == 0) {
      const std::string d = name.substr(p.size());
      if (d == "20" || d == "32" || d == "44" || d == "56") {
        s.mean = kCifarMean, s.stddev = kCifarStd;
        return s;
      }
    }
  }
  if (name == "resnet18" || name == "resnet34" || name == "resnet50") {
    s.size = 224, s.resize_shorter = 256, s.default_classes = 1000;
    s.mean = kImageNetMean, s.stddev = kImageNetStd;  // torchvision's normalisation
    return s;
  }
  if (name == "alexnet") {
    s.size = 227, s.resize_shorter = 256, s.default_classes = 1000;
    s.mean = kImageNetMean;  // the paper subtracts the mean only
    s.pca = true;
    return s;
  }
  return make_error(Errc::invalid_argument, "unknown model '{}' (known: {})", name, models::model_names());
}

Result<models::Model> build_model(const ModelSpec& spec, int64_t batch, int64_t classes, bool training) {
  models::ByNameOptions o;
  o.name = spec.name;
  o.batch = batch, o.classes = classes, o.training = training;
  return models::build_model_by_name(o);
}

const char* DataSource::kind_name() const {
  switch (kind) {
    case Kind::idx: return "IDX";
    case Kind::cifar: return "CIFAR-10 binary";
    case Kind::folder: return "image folder";
  }
  return "?";
}

int64_t DataSource::size(bool train_split) const {
  if (kind == Kind::folder) {
    const auto& f = train_split ? train_f : test_f;
    return f ? int64_t(f->size()) : 0;
  }
  const auto& d = train_split ? train : test;
  return d ? d->n : 0;
}

namespace {

std::optional<fs::path> find_one(const fs::path& dir, const std::string& base) {
  for (const std::string& name : {base, base + ".gz"}) {
    std::error_code ec;
    if (fs::is_regular_file(dir / name, ec)) return dir / name;
  }
  return std::nullopt;
}

Result<std::shared_ptr<const data::Dataset>> load_idx_split(const fs::path& dir, const std::string& prefix) {
  auto img = find_one(dir, prefix + "-images-idx3-ubyte"), lab = find_one(dir, prefix + "-labels-idx1-ubyte");
  if (!img || !lab)
    return make_error(Errc::io, "{}: missing {}-images-idx3-ubyte[.gz] or {}-labels-idx1-ubyte[.gz]", dir.string(),
                      prefix, prefix);
  VKNN_ASSIGN(data::Dataset ds, data::load_idx(*img, *lab));
  return std::make_shared<const data::Dataset>(std::move(ds));
}

}  // namespace

Result<DataSource> open_data(const fs::path& root_in, bool need_train) {
  DataSource src;
  std::error_code ec;
  if (!fs::is_directory(root_in, ec)) return make_error(Errc::io, "{}: not a directory", root_in.string());
  fs::path root = root_in;
  if (fs::is_directory(root / "cifar-10-batches-bin", ec)) root = root / "cifar-10-batches-bin";
  src.root = root;
  if (find_one(root, "t10k-images-idx3-ubyte") || find_one(root, "train-images-idx3-ubyte")) {
    src.kind = DataSource::Kind::idx;
    VKNN_ASSIGN(src.test, load_idx_split(root, "t10k"));
    if (need_train) {
      VKNN_ASSIGN(src.train, load_idx_split(root, "train"));
    }
  } else if (fs::is_regular_file(root / "test_batch.bin", ec) || fs::is_regular_file(root / "data_batch_1.bin", ec)) {
    src.kind = DataSource::Kind::cifar;
    VKNN_ASSIGN(data::Dataset test, data::load_cifar_binary({root / "test_batch.bin"}));
    src.test = std::make_shared<const data::Dataset>(std::move(test));
    if (need_train) {
      std::vector<fs::path> batches;
      for (int i = 1; i <= 5; ++i)
        if (fs::is_regular_file(root / fmt::format("data_batch_{}.bin", i), ec))
          batches.push_back(root / fmt::format("data_batch_{}.bin", i));
      if (batches.empty()) return make_error(Errc::io, "{}: no data_batch_*.bin", root.string());
      VKNN_ASSIGN(data::Dataset train, data::load_cifar_binary(batches));
      src.train = std::make_shared<const data::Dataset>(std::move(train));
    }
    if (std::ifstream meta(root / "batches.meta.txt"); meta) {
      std::string line;
      while (std::getline(meta, line) && src.class_names.size() < 10)
        if (!line.empty()) src.class_names.push_back(line);
    }
  } else if (fs::is_directory(root / "train", ec) &&
             (fs::is_directory(root / "test", ec) || fs::is_directory(root / "val", ec))) {
    src.kind = DataSource::Kind::folder;
    const fs::path test_dir = fs::is_directory(root / "test", ec) ? root / "test" : root / "val";
    VKNN_ASSIGN(data::ImageFolder test, data::scan_image_folder(test_dir, data::Verify::header));
    for (const auto& w : test.report.warnings) fmt::print(stderr, "warning: {}\n", w);
    src.class_names = test.classes;
    src.test_f = std::make_shared<const data::ImageFolder>(std::move(test));
    if (need_train) {
      VKNN_ASSIGN(data::ImageFolder train, data::scan_image_folder(root / "train", data::Verify::header));
      for (const auto& w : train.report.warnings) fmt::print(stderr, "warning: {}\n", w);
      if (train.classes != src.class_names)
        return make_error(Errc::invalid_argument, "{}: train/ and {} have different class folders", root.string(),
                          test_dir.filename().string());
      src.train_f = std::make_shared<const data::ImageFolder>(std::move(train));
    }
    src.classes = int32_t(src.class_names.size());
    return src;
  } else {
    return make_error(Errc::io,
                      "{}: no dataset found (expected IDX files train-images-idx3-ubyte[.gz]/t10k-..., CIFAR-10 "
                      "data_batch_*.bin/test_batch.bin, or train/ and test/ (or val/) image folders)",
                      root_in.string());
  }
  src.classes = std::max(src.test->num_classes, src.train ? src.train->num_classes : 0);
  if (src.kind == DataSource::Kind::cifar) src.classes = 10;
  return src;
}

void prepare_image(const data::Image& img, const ModelSpec& spec, bool train, data::Rng& rng, std::span<float> out,
                   bool ten_crop) {
  if (spec.resize_shorter > 0) {
    data::PreprocessConfig cfg;
    cfg.resize_shorter = spec.resize_shorter;
    cfg.crop = spec.size;
    cfg.train = train;
    cfg.mean = spec.mean, cfg.stddev = spec.stddev;
    if (train && spec.color_pca) cfg.use_pca = true, cfg.pca = *spec.color_pca;
    cfg.ten_crop = ten_crop && !train;
    data::preprocess(img, cfg, rng, out);  // torchvision's Resize + crop on the 8-bit image
    return;
  }
  data::Tensor3 t = data::to_tensor(img);
  if (t.h != spec.size || t.w != spec.size) t = data::resize_bilinear(t, spec.size, spec.size);
  if (spec.channels == 1) {
    data::Tensor3 g(1, t.h, t.w);
    for (int y = 0; y < t.h; ++y)
      for (int x = 0; x < t.w; ++x)
        g.at(0, y, x) = 0.299f * t.at(0, y, x) + 0.587f * t.at(1, y, x) + 0.114f * t.at(2, y, x);
    t = std::move(g);
  } else if (train) {  // CIFAR-style: zero-pad 4, random crop, flip
    const int pad = 4;
    data::Tensor3 p(t.c, t.h + 2 * pad, t.w + 2 * pad);
    for (int c = 0; c < t.c; ++c)
      for (int y = 0; y < t.h; ++y)
        for (int x = 0; x < t.w; ++x) p.at(c, y + pad, x + pad) = t.at(c, y, x);
    t = data::random_crop(p, spec.size, rng);
    if (rng.uniform() < 0.5f) data::hflip(t);
  }
  data::normalize(t, spec.mean, spec.stddev);
  std::copy(t.data.begin(), t.data.end(), out.begin());
}

Result<std::unique_ptr<data::BatchLoader>> make_loader(const DataSource& src, const ModelSpec& spec, bool train_split,
                                                       bool augment, int batch, int threads, uint64_t seed,
                                                       int64_t limit, bool ten_crop) {
  if (ten_crop && (src.kind != DataSource::Kind::folder || spec.resize_shorter == 0))
    return make_error(Errc::invalid_argument, "10-crop evaluation needs an image folder and an ImageNet model ({})",
                      spec.name);
  data::LoaderOptions lo;
  lo.batch_size = batch;
  lo.threads = std::max(1, threads);
  lo.seed = seed;
  lo.shuffle = train_split;
  lo.drop_last = train_split;  // the training graph has a fixed batch
  if (src.kind == DataSource::Kind::folder) {
    std::shared_ptr<const data::ImageFolder> f = train_split ? src.train_f : src.test_f;
    std::vector<int32_t> labels = f->labels;
    if (limit > 0 && int64_t(labels.size()) > limit) labels.resize(size_t(limit));
    data::SampleShape shape{ten_crop ? 10 : 1, spec.channels, spec.size, spec.size};
    ModelSpec sp = spec;
    if (augment && sp.pca && !sp.color_pca) {
      // The colour PCA of the paper, over (up to) 512 training images spread over the set.
      data::RgbStatsAccumulator acc;
      const size_t n = f->files.size(), take = std::min<size_t>(n, 512);
      size_t used = 0;
      for (size_t k = 0; k < take; ++k) {
        auto img = data::load_image(f->files[k * n / take]);
        if (!img.ok()) continue;  // the loader reports unreadable images itself
        acc.add(*img);
        ++used;
      }
      if (used > 0) {
        sp.color_pca = data::ColorPca::from(acc.finish());
        fmt::print(stderr, "colour PCA over {} training images: eigenvalues {:.4g} {:.4g} {:.4g}\n", used,
                   sp.color_pca->eigenvalues[0], sp.color_pca->eigenvalues[1], sp.color_pca->eigenvalues[2]);
      }
    }
    auto fn = [f, sp, augment, ten_crop](int64_t i, data::Rng& rng, std::span<float> out) -> Status {
      VKNN_ASSIGN(data::Image img, data::load_image(f->files[size_t(i)]));
      prepare_image(img, sp, augment, rng, out, ten_crop);
      return {};
    };
    return data::BatchLoader::create(std::move(labels), shape, fn, lo);
  }
  std::shared_ptr<const data::Dataset> ds = train_split ? src.train : src.test;
  if (ds->c != spec.channels || ds->h != spec.size || ds->w != spec.size)
    return make_error(Errc::invalid_argument, "{}: {} images are {}x{}x{} but model '{}' takes {}x{}x{}",
                      src.root.string(), src.kind_name(), ds->c, ds->h, ds->w, spec.name, spec.channels, spec.size,
                      spec.size);
  if (limit > 0 && ds->n > limit) {
    auto cut = std::make_shared<data::Dataset>(*ds);
    cut->n = limit;
    cut->images.resize(size_t(limit * ds->sample_size()));
    cut->labels.resize(size_t(limit));
    ds = cut;
  }
  data::BatchLoader::ArrayAugment aug;
  if (augment && spec.channels == 3 && spec.size == 32) aug.pad = 4, aug.crop = 32, aug.flip = true;
  aug.mean = spec.mean, aug.stddev = spec.stddev;
  return data::BatchLoader::from_dataset(ds, aug, lo);
}

namespace {

// 10-crop scoring: mean of the views' softmax probabilities, loss -log of the mean
// probability of the label, top-k by the strict tie rule of the loss op.
Result<EvalResult> evaluate_views(Executor& ex, const models::Model& m, data::BatchLoader& loader, int views,
                                  int64_t B, int64_t K, int64_t image_floats) {
  EvalResult r;
  double loss_sum = 0, top1 = 0, top5 = 0;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    const int64_t n = batch->n / views;  // samples; the loader counts images (and repeats labels per view)
    if (batch->n > B) return make_error(Errc::invalid_argument, "10-crop batch of {} views exceeds the graph's {}", batch->n, B);
    std::vector<float> images(size_t(B * image_floats), 0.0f);
    std::copy(batch->images.begin(), batch->images.end(), images.begin());
    std::vector<int32_t> labels(size_t(B), 0);
    VKNN_TRY(ex.set_input(m.images, std::span<const float>(images)));
    VKNN_TRY(ex.set_input(m.labels, std::span<const int32_t>(labels)));
    VKNN_TRY(ex.infer());
    VKNN_ASSIGN(std::vector<float> logits, ex.read(m.logits));
    for (int64_t i = 0; i < n; ++i) {
      const int32_t label = batch->labels[size_t(i * views)];
      if (label < 0 || label >= K)
        return make_error(Errc::invalid_argument, "label {} is outside the model's {} classes", label, K);
      std::vector<double> p(size_t(K), 0.0);
      for (int v = 0; v < views; ++v) {
        const float* z = logits.data() + (i * views + v) * K;
        const float mx = *std::max_element(z, z + K);
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += std::exp(double(z[k] - mx));
        for (int64_t k = 0; k < K; ++k) p[size_t(k)] += std::exp(double(z[k] - mx)) / s / views;
      }
      int greater = 0;
      for (int64_t k = 0; k < K; ++k) greater += p[size_t(k)] > p[size_t(label)];
      loss_sum += -std::log(std::max(p[size_t(label)], 1e-300));
      top1 += greater < 1, top5 += greater < 5;
    }
    r.samples += n;
  }
  if (r.samples == 0) return make_error(Errc::invalid_argument, "the evaluation split is empty");
  r.loss = loss_sum / double(r.samples), r.top1 = top1 / double(r.samples), r.top5 = top5 / double(r.samples);
  return r;
}

}  // namespace

Result<EvalResult> evaluate(Executor& ex, const models::Model& m, data::BatchLoader& loader, int views) {
  const Graph& g = ex.graph();
  const int64_t B = g.shape(m.images)[0];
  const int64_t K = g.shape(m.logits)[1];
  const int64_t sample = g.shape(m.images).numel() / B;
  if (views > 1) return evaluate_views(ex, m, loader, views, B, K, sample);
  EvalResult r;
  double loss_sum = 0, top1 = 0, top5 = 0;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    const int64_t n = batch->n;
    for (int32_t l : batch->labels)
      if (l < 0 || l >= K)
        return make_error(Errc::invalid_argument, "label {} is outside the model's {} classes", l, K);
    if (n == B) {
      VKNN_TRY(ex.set_input(m.images, std::span<const float>(batch->images)));
      VKNN_TRY(ex.set_input(m.labels, std::span<const int32_t>(batch->labels)));
      VKNN_TRY(ex.infer());
      VKNN_ASSIGN(float loss, ex.read_scalar(g.loss));
      VKNN_ASSIGN(float t1, ex.read_scalar(g.top1));
      VKNN_ASSIGN(float t5, ex.read_scalar(g.top5));
      loss_sum += double(loss) * double(n), top1 += t1, top5 += t5;
    } else {
      std::vector<float> images(size_t(B * sample), 0.0f);
      std::copy(batch->images.begin(), batch->images.end(), images.begin());
      std::vector<int32_t> labels(size_t(B), 0);
      std::copy(batch->labels.begin(), batch->labels.end(), labels.begin());
      VKNN_TRY(ex.set_input(m.images, std::span<const float>(images)));
      VKNN_TRY(ex.set_input(m.labels, std::span<const int32_t>(labels)));
      VKNN_TRY(ex.infer());
      VKNN_ASSIGN(std::vector<float> logits, ex.read(m.logits));
      for (int64_t i = 0; i < n; ++i) {
        const float* z = logits.data() + i * K;
        const float zl = z[labels[size_t(i)]];
        const float mx = *std::max_element(z, z + K);
        double s = 0;
        int greater = 0;
        for (int64_t k = 0; k < K; ++k) {
          s += std::exp(double(z[k] - mx));
          greater += z[k] > zl;
        }
        loss_sum += std::log(s) + double(mx) - double(zl);
        top1 += greater < 1, top5 += greater < 5;
      }
    }
    r.samples += n;
  }
  if (loader.failed_samples() > 0)
    fmt::print(stderr, "warning: {} unreadable samples replaced (last: {})\n", loader.failed_samples(),
               loader.last_failure());
  if (r.samples == 0) return make_error(Errc::invalid_argument, "the evaluation split is empty");
  r.loss = loss_sum / double(r.samples), r.top1 = top1 / double(r.samples), r.top5 = top5 / double(r.samples);
  return r;
}

Status copy_weights(const Executor& from, Executor& to) {
  const Graph& dst = to.graph();
  const Graph& src = from.graph();
  for (size_t i = 0; i < dst.tensors().size(); ++i) {
    const TensorDesc& d = dst.tensors()[i];
    if (d.role != Role::parameter && d.role != Role::state) continue;
    const TensorId s = src.find(d.name);
    if (!s.valid()) return make_error(Errc::invalid_argument, "tensor '{}' is missing from the training graph", d.name);
    VKNN_ASSIGN(std::vector<float> v, from.read(s));
    VKNN_TRY(to.write(TensorId{int32_t(i)}, v));
  }
  return {};
}

Status write_atomic(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return make_error(Errc::io, "{}: cannot open for writing", tmp.string());
    f.write(text.data(), std::streamsize(text.size()));
    f.flush();
    if (!f) return make_error(Errc::io, "{}: write failed", tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return make_error(Errc::io, "{}: rename failed: {}", path.string(), ec.message());
  return {};
}

}  // namespace vknn::tools
