#include "vknn/data/image.h"

#include "vknn/engine/file.h"

#include "vknn/data/datasets.h"

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace vknn::data {
namespace {

// libjpeg's default error_exit calls exit(); this one longjmps back to the decoder, which
// turns the message into an Error. Nothing with a destructor lives between setjmp and the
// libjpeg calls that may longjmp (the pixel vector is allocated before setjmp).
struct JpegErr {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegErr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}
void jpeg_quiet(j_common_ptr) {}  // other warnings (e.g. extraneous bytes before a marker) are not printed

// A JPEG whose data ends before the image does is refused. libjpeg only warns, fills the
// rest with grey and goes on, which is how a 543-byte file passed for a 16000x16000 image:
// JWRN_JPEG_EOF when the file ends (PIL refuses that too: "image file is truncated") and
// JWRN_HIT_MARKER when a marker (EOI, say) comes before the scan's last block (PIL decodes
// the grey; vknn is stricter). Other warnings are tolerated, as PIL tolerates them.
void jpeg_emit_message(j_common_ptr cinfo, int level) {
  const int code = cinfo->err->msg_code;
  if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER)) {
    auto* e = reinterpret_cast<JpegErr*>(cinfo->err);
    std::snprintf(e->message, sizeof e->message, "the data ends early (truncated file)");
    std::longjmp(e->jump, 1);
  }
}

struct JpegHeader {
  int width = 0, height = 0;          // declared
  int out_width = 0, out_height = 0;  // after scaling by 1/denom
};

// The libjpeg part, in a function holding only trivially destructible locals so longjmp is
// well defined. Returns 0 on success, 1 with e.message filled on a libjpeg error, 2 if the
// colour space is unsupported or the output not as expected, 3 when called with no pixel
// buffer (hdr holds the declared size: the caller checks it and sizes `pixels`).
int jpeg_decode_raw(const uint8_t* data, size_t size, JpegErr& e, int denom, uint8_t* pixels, size_t pixels_size,
                    JpegHeader& hdr) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&e.mgr);
  e.mgr.error_exit = jpeg_error_exit;
  e.mgr.output_message = jpeg_quiet;
  e.mgr.emit_message = jpeg_emit_message;
  e.message[0] = 0;
  if (setjmp(e.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  const J_COLOR_SPACE cs = cinfo.jpeg_color_space;
  if (cs != JCS_GRAYSCALE && cs != JCS_YCbCr && cs != JCS_RGB) {
    std::snprintf(e.message, sizeof e.message, "unsupported JPEG colour space %d (CMYK/YCCK are not handled)", int(cs));
    jpeg_destroy_decompress(&cinfo);
    return 2;
  }
  if (pixels == nullptr) {
    hdr.width = int(cinfo.image_width);
    hdr.height = int(cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return 3;
  }
  cinfo.out_color_space = JCS_RGB;  // libjpeg-turbo expands greyscale to RGB
  cinfo.scale_num = 1;
  cinfo.scale_denom = unsigned(denom);  // output = ceil(declared / denom), by DCT scaling
  jpeg_start_decompress(&cinfo);
  if (cinfo.output_components != 3 || int(cinfo.output_width) != hdr.out_width ||
      int(cinfo.output_height) != hdr.out_height || size_t(hdr.out_width) * size_t(hdr.out_height) * 3 != pixels_size) {
    std::snprintf(e.message, sizeof e.message, "unexpected output format");
    jpeg_destroy_decompress(&cinfo);
    return 2;
  }
  const size_t stride = size_t(cinfo.output_width) * 3;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + size_t(cinfo.output_scanline) * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

int jpeg_encode_raw(const Image& img, int quality, bool grey, JpegErr& e, unsigned char** out, unsigned long* out_size) {
  jpeg_compress_struct cinfo;
  cinfo.err = jpeg_std_error(&e.mgr);
  e.mgr.error_exit = jpeg_error_exit;
  e.mgr.output_message = jpeg_quiet;
  unsigned char* row_buf = static_cast<unsigned char*>(std::malloc(size_t(img.width) * 3));
  if (setjmp(e.jump)) {
    std::free(row_buf);
    jpeg_destroy_compress(&cinfo);
    return 1;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, out, out_size);
  cinfo.image_width = JDIMENSION(img.width);
  cinfo.image_height = JDIMENSION(img.height);
  cinfo.input_components = grey ? 1 : 3;
  cinfo.in_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    const uint8_t* src = img.rgb.data() + size_t(cinfo.next_scanline) * size_t(img.width) * 3;
    if (grey) {
      for (int x = 0; x < img.width; ++x) row_buf[x] = src[3 * x];
    } else {
      std::memcpy(row_buf, src, size_t(img.width) * 3);
    }
    JSAMPROW row = row_buf;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::free(row_buf);
  jpeg_destroy_compress(&cinfo);
  return 0;
}

int64_t scaled(int64_t n, int64_t k) { return (n + k - 1) / k; }

// Why an image of the declared size is refused whatever the scale, or empty.
std::string declared_size_problem(int64_t w, int64_t h) {
  if (w <= 0 || h <= 0) return "has zero size";
  if (std::max(w, h) > kMaxAspectRatio * std::min(w, h))
    return fmt::format("has an aspect ratio beyond {}:1 (a resize of its shorter side would be enormous)",
                       kMaxAspectRatio);
  return {};
}

}  // namespace

int jpeg_scale_denominator(int64_t w, int64_t h, const DecodeOptions& options) {
  if (!declared_size_problem(w, h).empty()) return 0;
  const int64_t shorter = std::min(w, h), target = std::max(options.shorter_side, 0);
  int k = 1;
  if (target > 0) {
    for (int c : {8, 4, 2})
      if (scaled(shorter, c) >= kScaledDecodeMargin * target) {
        k = c;
        break;
      }
    // Over the budget: scale further while the shorter side still covers the target.
    while (k < 8 && scaled(w, k) * scaled(h, k) > kMaxImagePixels && scaled(shorter, 2 * k) >= target) k *= 2;
  }
  return scaled(w, k) * scaled(h, k) > kMaxImagePixels ? 0 : k;
}

Result<Image> decode_jpeg(std::span<const uint8_t> bytes, const std::string& source, const DecodeOptions& options) {
  if (bytes.empty()) return make_error(Errc::parse, "{}: empty JPEG file", source);
  JpegErr e;
  JpegHeader hdr;
  int rc = jpeg_decode_raw(bytes.data(), bytes.size(), e, 1, nullptr, 0, hdr);
  if (rc == 3) {
    if (auto why = declared_size_problem(hdr.width, hdr.height); !why.empty())
      return make_error(Errc::parse, "{}: JPEG of {}x{} {}", source, hdr.width, hdr.height, why);
    const int k = jpeg_scale_denominator(hdr.width, hdr.height, options);
    if (k == 0)
      return make_error(Errc::parse, "{}: JPEG of {}x{} exceeds the budget of {} pixels{}", source, hdr.width, hdr.height,
                        kMaxImagePixels,
                        options.shorter_side > 0 ? fmt::format(" at every scale that keeps its shorter side at least {}",
                                                               options.shorter_side)
                                                 : std::string());
    hdr.out_width = int(scaled(hdr.width, k));
    hdr.out_height = int(scaled(hdr.height, k));
    Image img;
    img.width = hdr.out_width;
    img.height = hdr.out_height;
    img.rgb.resize(size_t(img.width) * size_t(img.height) * 3);
    rc = jpeg_decode_raw(bytes.data(), bytes.size(), e, k, img.rgb.data(), img.rgb.size(), hdr);
    if (rc == 0) return img;
  }
  return make_error(Errc::parse, "{}: corrupt or unsupported JPEG: {}", source, e.message);
}

Result<Image> decode_png(std::span<const uint8_t> bytes, const std::string& source) {
  png_image pi;
  std::memset(&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&pi, bytes.data(), bytes.size()))
    return make_error(Errc::parse, "{}: corrupt or unsupported PNG: {}", source, pi.message);
  const int64_t w = pi.width, h = pi.height;
  std::string why = declared_size_problem(w, h);
  if (why.empty() && w * h > kMaxImagePixels) why = fmt::format("exceeds the budget of {} pixels", kMaxImagePixels);
  // Each row is a filter byte and at least one bit per pixel, all of it deflated.
  const int64_t least_rows_bytes = h * (1 + scaled(w, 8));
  if (why.empty() && least_rows_bytes > kMaxDeflateRatio * int64_t(bytes.size()))
    why = fmt::format("needs at least {} bytes of rows, more than {} bytes can inflate to (truncated, or a "
                      "decompression bomb)", least_rows_bytes, bytes.size());
  if (!why.empty()) {
    png_image_free(&pi);
    return make_error(Errc::parse, "{}: PNG of {}x{} {}", source, w, h, why);
  }
  pi.format = PNG_FORMAT_RGB;  // greyscale, palette, 16-bit and alpha (over black) become 8-bit RGB
  Image img;
  img.width = int(pi.width);
  img.height = int(pi.height);
  img.rgb.resize(PNG_IMAGE_SIZE(pi));
  if (!png_image_finish_read(&pi, nullptr, img.rgb.data(), 0, nullptr)) {
    std::string msg = pi.message;
    png_image_free(&pi);
    return make_error(Errc::parse, "{}: corrupt PNG: {}", source, msg);
  }
  return img;
}

Result<Image> decode_image(std::span<const uint8_t> b, const std::string& source, const DecodeOptions& options) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return decode_jpeg(b, source, options);
  if (b.size() >= 8 && png_sig_cmp(b.data(), 0, 8) == 0) return decode_png(b, source);
  return make_error(Errc::parse, "{}: neither a JPEG nor a PNG (unknown magic)", source);
}

Result<Image> load_image(const std::filesystem::path& path, const DecodeOptions& options) {
  VKNN_ASSIGN(auto bytes, read_file(path));
  return decode_image(bytes, path.string(), options);
}

Result<std::vector<uint8_t>> encode_jpeg(const Image& img, int quality, bool grey) {
  if (img.width <= 0 || img.height <= 0 || img.rgb.size() != size_t(img.width) * size_t(img.height) * 3)
    return make_error(Errc::invalid_argument, "encode_jpeg: bad image {}x{} with {} bytes", img.width, img.height,
                      img.rgb.size());
  JpegErr e;
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  const int rc = jpeg_encode_raw(img, quality, grey, e, &out, &out_size);
  std::vector<uint8_t> bytes;
  if (rc == 0) bytes.assign(out, out + out_size);
  std::free(out);
  if (rc != 0) return make_error(Errc::invalid_argument, "encode_jpeg: {}", e.message);
  return bytes;
}

Result<std::vector<uint8_t>> encode_png(const Image& img, bool grey) {
  if (img.width <= 0 || img.height <= 0 || img.rgb.size() != size_t(img.width) * size_t(img.height) * 3)
    return make_error(Errc::invalid_argument, "encode_png: bad image {}x{} with {} bytes", img.width, img.height,
                      img.rgb.size());
  std::vector<uint8_t> src = img.rgb;
  if (grey) {
    src.resize(size_t(img.width) * size_t(img.height));
    for (size_t i = 0; i < src.size(); ++i) src[i] = img.rgb[3 * i];
  }
  png_image pi;
  std::memset(&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  pi.width = png_uint_32(img.width);
  pi.height = png_uint_32(img.height);
  pi.format = grey ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&pi, nullptr, &size, 0, src.data(), 0, nullptr))
    return make_error(Errc::invalid_argument, "encode_png: {}", pi.message);
  std::vector<uint8_t> out(size);
  if (!png_image_write_to_memory(&pi, out.data(), &size, 0, src.data(), 0, nullptr))
    return make_error(Errc::invalid_argument, "encode_png: {}", pi.message);
  out.resize(size);
  return out;
}

Status write_bytes(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  return write_file_atomic(path, bytes);
}

// ---- image folders ----

namespace {

bool is_image_name(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  for (auto& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Reads the first bytes only.
Status check_magic(const std::filesystem::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, "{}: cannot open: {}", p.string(), std::strerror(errno));
  uint8_t head[8] = {};
  const ssize_t n = ::read(fd, head, sizeof head);
  ::close(fd);
  if (n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return {};
  if (n == 8 && png_sig_cmp(head, 0, 8) == 0) return {};
  return make_error(Errc::parse, "{}: neither a JPEG nor a PNG (unknown magic)", p.string());
}

}  // namespace

Result<ImageFolder> scan_image_folder(const std::filesystem::path& root, Verify verify, double max_unreadable) {
  namespace fs = std::filesystem;
  std::error_code ec;
  ImageFolder f;
  f.root = root;
  std::vector<fs::path> class_dirs;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) class_dirs.push_back(it->path());
  }
  if (ec) return make_error(Errc::io, "{}: cannot list: {}", root.string(), ec.message());
  std::sort(class_dirs.begin(), class_dirs.end());
  if (class_dirs.empty()) return make_error(Errc::invalid_argument, "{}: no class subfolders", root.string());
  if (class_dirs.size() == 1)
    return make_error(Errc::invalid_argument, "{}: only one class folder ('{}'); a classifier needs two or more",
                      root.string(), class_dirs[0].filename().string());
  for (size_t label = 0; label < class_dirs.size(); ++label) {
    const fs::path& dir = class_dirs[label];
    f.classes.push_back(dir.filename().string());
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && is_image_name(it->path())) files.push_back(it->path());
    }
    if (ec) return make_error(Errc::io, "{}: cannot list: {}", dir.string(), ec.message());
    std::sort(files.begin(), files.end());
    int kept = 0, unreadable = 0;
    std::string first_failure;
    for (auto& p : files) {
      Status ok;
      if (verify == Verify::header) {
        ok = check_magic(p);
      } else if (verify == Verify::full) {
        auto img = load_image(p);
        if (!img.ok()) ok = img.error();
      }
      if (!ok.ok()) {
        if (unreadable++ == 0) first_failure = ok.error().message;
        ++f.report.skipped_images;
        f.report.warnings.push_back(fmt::format("skipped unreadable image: {}", ok.error().message));
        continue;
      }
      f.files.push_back(std::move(p));
      f.labels.push_back(int32_t(label));
      ++kept;
    }
    if (unreadable > 0 && double(unreadable) > max_unreadable * double(files.size()))
      return make_error(Errc::parse,
                        "{}: {} of the {} images of class '{}' are unreadable, more than {:g}% (e.g. {})",
                        dir.string(), unreadable, files.size(), f.classes.back(), 100 * max_unreadable, first_failure);
    if (unreadable > 0)
      f.report.warnings.push_back(fmt::format("{}: skipped {} of the {} images of class '{}' (unreadable)",
                                              dir.string(), unreadable, files.size(), f.classes.back()));
    if (kept == 0) {
      ++f.report.empty_classes;
      f.report.warnings.push_back(fmt::format("{}: class '{}' has no readable image", dir.string(), f.classes.back()));
    }
  }
  if (f.files.empty())
    return make_error(Errc::invalid_argument, "{}: all {} class folders are empty (no readable .jpg/.jpeg/.png)",
                      root.string(), class_dirs.size());
  return f;
}

}  // namespace vknn::data
