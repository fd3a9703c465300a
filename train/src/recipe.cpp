#include "vknn/train/recipe.h"

#include "vknn/engine/file.h"
#include "vknn/graph/safetensors.h"
#include "vknn/models/by_name.h"
#include "vknn/onnx/resolve.h"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <span>
#include <tuple>

namespace vknn::train {
namespace fs = std::filesystem;

namespace {
const std::vector<float> kCifarMean = {0.4914f, 0.4822f, 0.4465f}, kCifarStd = {0.2470f, 0.2435f, 0.2616f};
const std::vector<float> kImageNetMean = {0.485f, 0.456f, 0.406f}, kImageNetStd = {0.229f, 0.224f, 0.225f};

Result<std::string> sha256_hex(std::span<const uint8_t> bytes, const std::string& what) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    return make_error(Errc::io, "{}: SHA-256 failed (OpenSSL EVP_Digest)", what);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// A model that fixes its own input and classes (an ONNX file, a network defined in code):
// its spec from the graph's input and logits. Its images are preprocessed like torchvision's
// ImageNet models when it takes 3 channels of 64 pixels or more, only scaled to [0, 1] otherwise.
Result<ModelSpec> fixed_model_spec(const models::Model& m, const std::string& what) {
  const Graph& g = m.graph;
  const Shape& in = g.shape(m.images);
  const Shape& out = g.shape(m.logits);
  if (in.rank() != 4 || in[2] != in[3] || in[1] > 4)
    return make_error(Errc::unsupported, "{}: input '{}' is {}; images need a square (N,C,H,W) input of 1 to 4 channels",
                      what, g.desc(m.images).name, in.str());
  if (out.rank() != 2)
    return make_error(Errc::unsupported, "{}: output '{}' is {}; classes need an (N,classes) output", what,
                      g.desc(m.logits).name, out.str());
  ModelSpec s;
  s.name = what;
  s.channels = int(in[1]);
  s.size = int(in[2]);
  s.default_classes = int(out[1]);
  if (s.channels == 3 && s.size >= 64) {
    s.resize_shorter = s.size * 256 / 224;
    s.mean = kImageNetMean, s.stddev = kImageNetStd;
  }
  return s;
}

Result<ModelSpec> onnx_model_spec(const std::string& path) {
  onnx::ModelRequest req;
  req.options.name = path;
  VKNN_ASSIGN(onnx::ResolvedModel r, onnx::resolve_model(req));
  VKNN_ASSIGN(ModelSpec s, fixed_model_spec(r.model, path));
  s.onnx = true;
  VKNN_ASSIGN(std::vector<uint8_t> bytes, read_file_bytes(path));
  VKNN_ASSIGN(std::string hash, sha256_hex(bytes, path));
  s.id = "onnx-sha256:" + hash;
  return s;
}

}  // namespace

Result<ModelSpec> code_model_spec(std::shared_ptr<const CodeModel> code) {
  if (!code || !code->build) return make_error(Errc::invalid_argument, "network: nothing builds it");
  VKNN_ASSIGN(models::Model m, code->build(1));
  VKNN_ASSIGN(ModelSpec s, fixed_model_spec(m, "network"));
  const auto* text = reinterpret_cast<const uint8_t*>(code->description.data());
  VKNN_ASSIGN(std::string hash, sha256_hex({text, code->description.size()}, "network"));
  s.id = "network-sha256:" + hash;
  s.code = std::move(code);
  return s;
}

Result<ModelSpec> model_spec(const std::string& name) {
  if (onnx::is_onnx_path(name)) return onnx_model_spec(name);
  if (name.starts_with("network-sha256:"))  // a run of code_model_spec's: only its program can build it
    return make_error(Errc::invalid_argument,
                      "'{}' is a network defined in code through the C++ API: only that program can build it (resume "
                      "its run there, with the same network)",
                      name);
  ModelSpec s;
  s.name = name;
  s.id = name;
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
  return make_error(Errc::invalid_argument, "unknown model '{}' (known: {})", name, onnx::model_choices());
}

Result<ModelSpec> with_input_size(ModelSpec spec, int size) {
  if (size <= 0 || size == spec.size) return spec;
  if (spec.onnx || spec.code)
    return make_error(Errc::invalid_argument, "--input-size {}: {} fixes its input at {}x{}", size, spec.name,
                      spec.size, spec.size);
  if (spec.resize_shorter > 0) spec.resize_shorter = int(std::lround(double(size) * spec.resize_shorter / spec.size));
  spec.size = size;
  return spec;
}

Result<models::Model> build_model(const ModelSpec& spec, int64_t batch, int64_t classes, bool training,
                                  float label_smoothing) {
  if (spec.code) {
    VKNN_ASSIGN(models::Model m, spec.code->build(batch));
    const Shape& logits = m.graph.shape(m.logits);
    if (classes != 0 && logits[1] != classes)
      return make_error(Errc::invalid_argument, "network: {} classes were asked for, but its output is {}", classes,
                        logits.str());
    if (training) models::append_loss(m, label_smoothing);
    VKNN_TRY(m.graph.status());
    return m;
  }
  onnx::ModelRequest req;
  models::ByNameOptions& o = req.options;
  o.name = spec.name;
  o.batch = batch, o.classes = classes, o.training = training, o.label_smoothing = label_smoothing;
  if (!spec.onnx) o.input_size = spec.size;  // an ONNX file fixes its own
  VKNN_ASSIGN(onnx::ResolvedModel r, onnx::resolve_model(req));
  return std::move(r.model);
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
    src.warnings.insert(src.warnings.end(), test.report.warnings.begin(), test.report.warnings.end());
    src.class_names = test.classes;
    src.test_f = std::make_shared<const data::ImageFolder>(std::move(test));
    if (need_train) {
      VKNN_ASSIGN(data::ImageFolder train, data::scan_image_folder(root / "train", data::Verify::header));
      src.warnings.insert(src.warnings.end(), train.report.warnings.begin(), train.report.warnings.end());
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

Result<CheckpointInfo> read_checkpoint_info(const fs::path& weights) {
  VKNN_ASSIGN(SafetensorsFile f, SafetensorsFile::read(weights));
  const auto& m = f.metadata();
  CheckpointInfo info;
  try {
    if (auto it = m.find("model"); it != m.end()) info.model = it->second;
    if (auto it = m.find("classes"); it != m.end()) info.classes = std::stoll(it->second);
    if (auto it = m.find("input_channels"); it != m.end()) info.input_channels = std::stoll(it->second);
    if (auto it = m.find("input_size"); it != m.end()) info.input_size = std::stoll(it->second);
    if (auto it = m.find("class_names"); it != m.end())
      info.class_names = nlohmann::json::parse(it->second).get<std::vector<std::string>>();
    if (auto it = m.find("mean"); it != m.end()) info.mean = nlohmann::json::parse(it->second).get<std::vector<float>>();
    if (auto it = m.find("std"); it != m.end()) info.stddev = nlohmann::json::parse(it->second).get<std::vector<float>>();
  } catch (const std::exception& e) {
    return make_error(Errc::parse, "{}: malformed metadata: {}", weights.string(), e.what());
  }
  if (info.classes < 0 || (!info.class_names.empty() && int64_t(info.class_names.size()) != info.classes))
    return make_error(Errc::parse, "{}: metadata says {} classes with {} names", weights.string(), info.classes,
                      info.class_names.size());
  return info;
}

std::vector<int64_t> stratified_subset(const std::vector<int32_t>& labels, int64_t n, uint64_t seed) {
  const int64_t total = int64_t(labels.size());
  std::vector<int64_t> all(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) all[size_t(i)] = i;
  if (n <= 0 || n >= total) return all;
  std::map<int32_t, std::vector<int64_t>> by_class;
  for (int64_t i = 0; i < total; ++i) by_class[labels[size_t(i)]].push_back(i);
  // Each class gets n * share, rounded down; the n left over go to the largest remainders
  // (ties to the smaller label).
  std::vector<std::pair<int32_t, int64_t>> take;
  std::vector<std::tuple<int64_t, int32_t>> remainder;  // (-remainder numerator, label)
  int64_t given = 0;
  for (const auto& [label, idx] : by_class) {
    const int64_t k = int64_t(idx.size());
    take.emplace_back(label, n * k / total);
    given += n * k / total;
    remainder.emplace_back(-(n * k % total), label);
  }
  std::sort(remainder.begin(), remainder.end());
  for (size_t r = 0; given < n && r < remainder.size(); ++r, ++given)
    for (auto& [label, k] : take)
      if (label == std::get<1>(remainder[r])) ++k;
  std::vector<int64_t> out;
  for (const auto& [label, k] : take) {
    std::vector<int64_t> idx = by_class[label];
    data::Rng rng(seed, 0x5b5e7ull, uint64_t(uint32_t(label)));  // Fisher-Yates, keyed by (seed, class)
    for (int64_t i = int64_t(idx.size()) - 1; i > 0; --i)
      std::swap(idx[size_t(i)], idx[size_t(rng.below(uint32_t(i + 1)))]);
    out.insert(out.end(), idx.begin(), idx.begin() + k);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string augmentation_name(const ModelSpec& spec, const DataSource& src) {
  if (src.kind == DataSource::Kind::folder) {
    if (spec.resize_shorter > 0)
      return fmt::format("resize {} random crop {} flip{}", spec.resize_shorter, spec.size, spec.pca ? " pca-colour" : "");
    if (spec.channels == 1) return "resize, grey";
    return "resize, pad 4 random crop, flip";
  }
  if (spec.channels == 3 && spec.size == 32) return "pad 4 random crop, flip";
  return "none";
}

Result<std::unique_ptr<data::BatchLoader>> make_loader(const DataSource& src, const ModelSpec& spec, bool train_split,
                                                       bool augment, int batch, int threads, uint64_t seed,
                                                       int64_t limit, bool ten_crop, data::Partition part) {
  if (ten_crop && (src.kind != DataSource::Kind::folder || spec.resize_shorter == 0))
    return make_error(Errc::invalid_argument, "10-crop evaluation needs an image folder and an ImageNet model ({})",
                      spec.name);
  data::LoaderOptions lo;
  lo.batch_size = batch;
  lo.threads = std::max(1, threads);
  lo.seed = seed;
  lo.shuffle = train_split;
  lo.drop_last = train_split;  // the training graph has a fixed batch
  lo.part = part;
  if (src.kind == DataSource::Kind::folder) {
    std::shared_ptr<const data::ImageFolder> f = train_split ? src.train_f : src.test_f;
    if (limit > 0 && int64_t(f->size()) > limit) {
      auto cut = std::make_shared<data::ImageFolder>(*f);
      cut->files.clear(), cut->labels.clear();
      for (int64_t i : stratified_subset(f->labels, limit, kSubsetSeed)) {
        cut->files.push_back(f->files[size_t(i)]);
        cut->labels.push_back(f->labels[size_t(i)]);
      }
      f = cut;
    }
    std::vector<int32_t> labels = f->labels;
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
    auto cut = std::make_shared<data::Dataset>();
    cut->c = ds->c, cut->h = ds->h, cut->w = ds->w, cut->num_classes = ds->num_classes;
    for (int64_t i : stratified_subset(ds->labels, limit, kSubsetSeed)) {
      const auto img = ds->image(i);
      cut->images.insert(cut->images.end(), img.begin(), img.end());
      cut->labels.push_back(ds->labels[size_t(i)]);
    }
    cut->n = int64_t(cut->labels.size());
    ds = cut;
  }
  data::BatchLoader::ArrayAugment aug;
  if (augment && spec.channels == 3 && spec.size == 32) aug.pad = 4, aug.crop = 32, aug.flip = true;
  aug.mean = spec.mean, aug.stddev = spec.stddev;
  return data::BatchLoader::from_dataset(ds, aug, lo);
}

}  // namespace vknn::train
