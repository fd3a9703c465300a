// Writes the hostile and broken inputs of tests/cli/bad_inputs.sh into DIR (all small):
//   lenet.safetensors        valid LeNet weights (what `vknn eval --model lenet` loads)
//   nan.safetensors          the same with a NaN in one tensor, named in nan-tensor.txt
//   truncated.safetensors    lenet.safetensors cut in half
//   random.safetensors       random bytes;  json.safetensors: a JSON document
//   wide.png                 a PNG of 100000x1 pixels (resizing its short side to 256 asks for 78 GB)
//   bomb.jpg, bomb.png       16000x16000 declared in the header, a few hundred bytes of data
//   idx/                     a tiny IDX test split (t10k, 16 images of 28x28)
//   empty/                   a dataset folder with train/ and test/ but no class folders
//   oneclass/                train/ and test/ with one class folder each
//   undecodable/             train/ and test/, ten classes whose .jpg files all fail to decode
//   usage: vknn_bad_inputs_fixture DIR
#include "vknn/data/datasets.h"
#include "vknn/data/image.h"
#include "vknn/graph/safetensors.h"
#include "vknn/models/by_name.h"

#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

namespace {

namespace fs = std::filesystem;

bool write(const fs::path& p, const std::vector<uint8_t>& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  return bool(f);
}

std::vector<uint8_t> read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void put_be32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + size_t(i)] = uint8_t(v >> (24 - 8 * i));
}

// LeNet's parameters and state with small random values; `nan_in` gets a NaN at element 0.
bool write_weights(const fs::path& p, const vknn::models::Model& m, const std::string& nan_in) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  vknn::SafetensorsWriter w;
  for (const auto& t : m.graph.tensors()) {
    if ((t.role != vknn::Role::parameter && t.role != vknn::Role::state) || t.slice_of.valid()) continue;
    std::vector<float> v(size_t(t.shape.numel()));
    for (auto& x : v) x = u(rng);
    if (t.name == nan_in) v[0] = std::numeric_limits<float>::quiet_NaN();
    w.add_f32(t.name, t.shape.dims, v);
  }
  return w.write_atomic(p).ok();
}

vknn::data::Image grey(int w, int h) {
  vknn::data::Image img;
  img.width = w, img.height = h;
  img.rgb.assign(size_t(w) * size_t(h) * 3, 128);
  return img;
}

// A baseline JPEG whose SOF0 header says 16000x16000 (libjpeg fills in the missing data).
std::vector<uint8_t> jpeg_bomb() {
  auto b = vknn::data::encode_jpeg(grey(16, 16), 90, false).value();
  for (size_t i = 2; i + 8 < b.size(); ++i)
    if (b[i] == 0xFF && b[i + 1] == 0xC0) {  // SOF0: length(2) precision(1) height(2) width(2)
      b[i + 5] = uint8_t(16000 >> 8), b[i + 6] = uint8_t(16000 & 0xFF);
      b[i + 7] = uint8_t(16000 >> 8), b[i + 8] = uint8_t(16000 & 0xFF);
      break;
    }
  return b;
}

// A PNG whose IHDR says 16000x16000 (with its CRC recomputed) over the data of a 1x1 image.
std::vector<uint8_t> png_bomb() {
  auto b = vknn::data::encode_png(grey(1, 1), true).value();
  // signature(8), then IHDR: length(4) "IHDR"(4) width(4) height(4) ... crc over type+data
  put_be32(b, 16, 16000);
  put_be32(b, 20, 16000);
  const uint32_t crc = uint32_t(crc32(0, b.data() + 12, 17));
  put_be32(b, 29, crc);
  return b;
}

std::vector<uint8_t> idx(uint32_t magic, std::vector<uint32_t> dims, size_t payload) {
  std::vector<uint8_t> b(4 + 4 * dims.size(), 0);
  put_be32(b, 0, magic);
  for (size_t i = 0; i < dims.size(); ++i) put_be32(b, 4 + 4 * i, dims[i]);
  std::mt19937 rng(2);
  for (size_t i = 0; i < payload; ++i) b.push_back(uint8_t(rng() % 10));
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vknn_bad_inputs_fixture DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir);
  vknn::models::ByNameOptions o;
  o.name = "lenet";
  o.training = true;  // eval's graph: its loss holds state too
  auto m = vknn::models::build_model_by_name(o);
  if (!m.ok()) {
    std::fprintf(stderr, "vknn_bad_inputs_fixture: %s\n", m.error().what().c_str());
    return 1;
  }
  std::string nan_tensor;
  for (const auto& t : m->graph.tensors())
    if (t.role == vknn::Role::parameter && !t.slice_of.valid() && t.shape.numel() > 1) {
      nan_tensor = t.name;  // the last weight: every tensor before it loads fine
    }
  bool ok = write_weights(dir / "lenet.safetensors", *m, "") && write_weights(dir / "nan.safetensors", *m, nan_tensor);
  ok = ok && write(dir / "nan-tensor.txt", std::vector<uint8_t>(nan_tensor.begin(), nan_tensor.end()));
  auto good = read(dir / "lenet.safetensors");
  ok = ok && write(dir / "truncated.safetensors", std::vector<uint8_t>(good.begin(), good.begin() + good.size() / 2));
  std::vector<uint8_t> noise(1000);
  std::mt19937 rng(3);
  for (auto& x : noise) x = uint8_t(rng());
  ok = ok && write(dir / "random.safetensors", noise);
  const std::string json = "{\"weights\": [1, 2, 3]}\n";
  ok = ok && write(dir / "json.safetensors", std::vector<uint8_t>(json.begin(), json.end()));

  ok = ok && write(dir / "wide.png", vknn::data::encode_png(grey(100000, 1), false).value());
  ok = ok && write(dir / "bomb.jpg", jpeg_bomb()) && write(dir / "bomb.png", png_bomb());

  ok = ok && write(dir / "idx/t10k-images-idx3-ubyte", idx(0x803, {16, 28, 28}, 16 * 28 * 28)) &&
       write(dir / "idx/t10k-labels-idx1-ubyte", idx(0x801, {16}, 16));

  const auto png = vknn::data::encode_png(grey(40, 40), false).value();
  fs::create_directories(dir / "empty/train");
  fs::create_directories(dir / "empty/test");
  for (const char* split : {"train", "test"}) {
    ok = ok && write(dir / "oneclass" / split / "only" / "a.png", png);
    for (int cls = 0; cls < 10; ++cls)  // LeNet's 10 classes, so that its weights load
      for (int i = 0; i < 3; ++i) {
        // The JPEG magic (so a header check passes) over bytes no decoder accepts.
        std::vector<uint8_t> broken = {0xFF, 0xD8, 0xFF, 0xE0};
        for (int k = 0; k < 60; ++k) broken.push_back(uint8_t(rng()));
        ok = ok && write(dir / "undecodable" / split / ("class" + std::to_string(cls)) / ("img" + std::to_string(i) + ".jpg"),
                        broken);
      }
  }
  if (!ok) {
    std::fprintf(stderr, "vknn_bad_inputs_fixture: cannot write into %s\n", argv[1]);
    return 1;
  }
  return 0;
}
