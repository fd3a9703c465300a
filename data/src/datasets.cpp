#include "vknn/data/datasets.h"

#include "vknn/engine/checked.h"
#include "vknn/engine/file.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace vknn::data {
namespace {

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

constexpr uint32_t kIdxImagesMagic = 0x00000803u, kIdxLabelsMagic = 0x00000801u;
constexpr uint32_t kMaxIdxDim = 1u << 16;  // rows/cols beyond this are not images

}  // namespace

Result<std::vector<uint8_t>> read_file(const std::filesystem::path& path) {
  return read_file_bytes(path);  // never throws: a directory is an error naming it
}

bool is_gzip(std::span<const uint8_t> b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

Result<std::vector<uint8_t>> gunzip(std::span<const uint8_t> bytes, const std::string& source, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return make_error(Errc::parse, "{}: inflateInit2 failed", source);
  std::vector<uint8_t> out;
  out.resize(std::min<size_t>(max_bytes, std::max<size_t>(bytes.size() * 4, 1 << 16)));
  zs.next_in = const_cast<Bytef*>(bytes.data());
  size_t in_left = bytes.size();
  size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (zs.avail_in == 0 && in_left > 0) {
      const size_t chunk = std::min<size_t>(in_left, 1u << 30);
      zs.avail_in = uInt(chunk);
      in_left -= chunk;
    }
    if (produced == out.size()) {
      if (out.size() >= max_bytes) {
        inflateEnd(&zs);
        return make_error(Errc::parse, "{}: inflates to more than {} bytes", source, max_bytes);
      }
      out.resize(std::min(max_bytes, out.size() * 2));
    }
    const size_t room = std::min<size_t>(out.size() - produced, 1u << 30);
    zs.next_out = out.data() + produced;
    zs.avail_out = uInt(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
      inflateEnd(&zs);
      return make_error(Errc::parse, "{}: gzip stream is truncated ({} bytes inflated)", source, produced);
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      std::string msg = zs.msg ? zs.msg : "unknown error";
      inflateEnd(&zs);
      return make_error(Errc::parse, "{}: corrupt gzip stream: {}", source, msg);
    }
  }
  inflateEnd(&zs);
  out.resize(produced);
  return out;
}

std::vector<uint8_t> gzip(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> out(compressBound(uLong(bytes.size())) + 64);
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  zs.next_in = const_cast<Bytef*>(bytes.data());
  zs.avail_in = uInt(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = uInt(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(rc == Z_STREAM_END ? zs.total_out : 0);
  deflateEnd(&zs);
  return out;
}

Result<Dataset> parse_idx(std::span<const uint8_t> images_in, const std::string& isrc,
                          std::span<const uint8_t> labels_in, const std::string& lsrc) {
  std::vector<uint8_t> iz, lz;
  std::span<const uint8_t> im = images_in, lb = labels_in;
  if (is_gzip(im)) {
    VKNN_ASSIGN(iz, gunzip(im, isrc, kMaxIdxBytes + 16));
    im = iz;
  }
  if (is_gzip(lb)) {
    VKNN_ASSIGN(lz, gunzip(lb, lsrc, kMaxIdxBytes + 8));
    lb = lz;
  }
  if (im.size() < 16)
    return make_error(Errc::parse, "{}: {} bytes is too short for an IDX image header (truncated?)", isrc, im.size());
  if (be32(im.data()) != kIdxImagesMagic)
    return make_error(Errc::parse, "{}: wrong magic 0x{:08x} (expected 0x{:08x}, IDX ubyte images with 3 dimensions)",
                      isrc, be32(im.data()), kIdxImagesMagic);
  const uint32_t n = be32(im.data() + 4), rows = be32(im.data() + 8), cols = be32(im.data() + 12);
  if (rows == 0 || cols == 0 || rows > kMaxIdxDim || cols > kMaxIdxDim)
    return make_error(Errc::parse, "{}: implausible image size {}x{}", isrc, rows, cols);
  // Checked like every size product a file declares (vknn/engine/checked.h).
  const std::optional<uint64_t> want_px = checked_product<uint64_t>(std::array<uint32_t, 3>{n, rows, cols});
  if (!want_px || *want_px > kMaxIdxBytes)
    return make_error(Errc::parse, "{}: {} images of {}x{} exceed the {}-byte limit of an IDX file", isrc, n, rows,
                      cols, kMaxIdxBytes);
  const uint64_t want = 16 + *want_px;
  if (im.size() != want)
    return make_error(Errc::parse, "{}: {} images of {}x{} need {} bytes but the file has {} ({})", isrc, n, rows, cols,
                      want, im.size(), im.size() < want ? "truncated" : "trailing bytes");
  if (lb.size() < 8)
    return make_error(Errc::parse, "{}: {} bytes is too short for an IDX label header (truncated?)", lsrc, lb.size());
  if (be32(lb.data()) != kIdxLabelsMagic)
    return make_error(Errc::parse, "{}: wrong magic 0x{:08x} (expected 0x{:08x}, IDX ubyte labels with 1 dimension)",
                      lsrc, be32(lb.data()), kIdxLabelsMagic);
  const uint32_t nl = be32(lb.data() + 4);
  if (lb.size() != 8 + uint64_t(nl))
    return make_error(Errc::parse, "{}: {} labels need {} bytes but the file has {} ({})", lsrc, nl, 8 + uint64_t(nl),
                      lb.size(), lb.size() < 8 + uint64_t(nl) ? "truncated" : "trailing bytes");
  if (nl != n)
    return make_error(Errc::parse, "{} has {} images but {} has {} labels", isrc, n, lsrc, nl);
  Dataset ds;
  ds.n = n;
  ds.c = 1;
  ds.h = rows;
  ds.w = cols;
  ds.images.resize(size_t(want - 16));
  const uint8_t* px = im.data() + 16;
  for (size_t i = 0; i < ds.images.size(); ++i) ds.images[i] = float(px[i]) * (1.0f / 255.0f);
  ds.labels.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    ds.labels[i] = lb[8 + i];
    ds.num_classes = std::max(ds.num_classes, ds.labels[i] + 1);
  }
  return ds;
}

Result<Dataset> load_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path) {
  VKNN_ASSIGN(auto im, read_file(images_path));
  VKNN_ASSIGN(auto lb, read_file(labels_path));
  return parse_idx(im, images_path.string(), lb, labels_path.string());
}

Status parse_cifar_binary(std::span<const uint8_t> bytes, const std::string& source, Dataset& out) {
  if (out.n != 0 && (out.c != 3 || out.h != 32 || out.w != 32))
    return make_error(Errc::invalid_argument, "{}: cannot append CIFAR records to a {}x{}x{} dataset", source, out.c,
                      out.h, out.w);
  if (bytes.empty() || bytes.size() % kCifarRecordBytes != 0)
    return make_error(Errc::parse, "{}: length {} is not a positive multiple of the {}-byte CIFAR-10 record (truncated?)",
                      source, bytes.size(), kCifarRecordBytes);
  const int64_t records = int64_t(bytes.size()) / kCifarRecordBytes;
  for (int64_t r = 0; r < records; ++r) {
    const uint8_t label = bytes[size_t(r * kCifarRecordBytes)];
    if (label >= 10) return make_error(Errc::parse, "{}: record {} has label {} (CIFAR-10 labels are 0..9)", source, r, label);
  }
  out.c = 3;
  out.h = 32;
  out.w = 32;
  const size_t base = out.images.size();
  out.images.resize(base + size_t(records) * 3072);
  for (int64_t r = 0; r < records; ++r) {
    const uint8_t* rec = bytes.data() + r * kCifarRecordBytes;
    out.labels.push_back(rec[0]);
    out.num_classes = 10;
    float* dst = out.images.data() + base + size_t(r) * 3072;
    for (int i = 0; i < 3072; ++i) dst[i] = float(rec[1 + i]) * (1.0f / 255.0f);
  }
  out.n += records;
  return {};
}

Result<Dataset> load_cifar_binary(const std::vector<std::filesystem::path>& paths) {
  if (paths.empty()) return make_error(Errc::invalid_argument, "load_cifar_binary: no files given");
  Dataset ds;
  for (const auto& p : paths) {
    VKNN_ASSIGN(auto bytes, read_file(p));
    VKNN_TRY(parse_cifar_binary(bytes, p.string(), ds));
  }
  return ds;
}

}  // namespace vknn::data
