// Image decoding (libjpeg-turbo, libpng), encoding (for tests and tools) and image folders
// laid out as root/<class>/*.jpg|jpeg|png.
#pragma once

#include "vknn/engine/result.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vknn::data {

// 8-bit interleaved RGB (HWC). Greyscale, palette and 16-bit inputs are converted on decode.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // height * width * 3
  uint8_t at(int y, int x, int ch) const { return rgb[(size_t(y) * size_t(width) + size_t(x)) * 3 + size_t(ch)]; }
};

// Decoders never exit or longjmp past the caller: a corrupt or truncated stream is
// Errc::parse naming `source`. Files are untrusted, so the size a header declares is checked
// against these budgets before any pixel is decoded (a 543-byte JPEG or a 266-byte PNG can
// declare 16000x16000, which took 3.7 GB and 44-143 s, or 750 MB and 41 s, to refuse):
//   - at most kMaxImagePixels decoded pixels, kMaxImageBytes of RGB (67M pixels, 192 MiB:
//     a 48-megapixel photo fits; a larger JPEG fits only when it may be decoded scaled down);
//   - an aspect ratio (longer side / shorter side) of at most kMaxAspectRatio: resizing the
//     shorter side of a 100000x1 image to 256 would ask for 78 GB of floats;
//   - a PNG whose declared rows (one filter byte plus at least one bit per pixel) exceed
//     kMaxDeflateRatio times the file's size is refused as truncated or a bomb: no deflate
//     stream expands more than 1032:1 (a 258-byte match coded in 2 bits);
//   - a JPEG whose data ends before the image does is an error (libjpeg would fill in grey).
// The error names the file, its declared size and the budget it exceeds.
inline constexpr int64_t kMaxImagePixels = int64_t(1) << 26;
inline constexpr int64_t kMaxImageBytes = 3 * kMaxImagePixels;
inline constexpr int64_t kMaxAspectRatio = 64;
inline constexpr int64_t kMaxDeflateRatio = 1032;

// What the caller will do with the image, so that a large JPEG may be decoded at a reduced
// scale (libjpeg-turbo's DCT scaling, 1/2, 1/4 or 1/8), which is also far faster.
struct DecodeOptions {
  // The size the shorter side will be resized to; 0: the image is used at full size, so it
  // is never scaled. A JPEG is decoded at 1/k (k = 2, 4, 8, the largest that fits) only
  // when its shorter side stays at least kScaledDecodeMargin times this after scaling, i.e.
  // when the resize reduces by 8x or more; it is then no longer equal to PIL's decode of
  // the full image (torchvision's Resize on it differs by a few levels). Beyond the pixel
  // budget, k is the least that fits the budget as long as the shorter side stays at least
  // `shorter_side`; otherwise the image is refused.
  int shorter_side = 0;
};
inline constexpr int kScaledDecodeMargin = 4;

Result<Image> decode_jpeg(std::span<const uint8_t> bytes, const std::string& source, const DecodeOptions& options = {});
Result<Image> decode_png(std::span<const uint8_t> bytes, const std::string& source);
// Sniffs the magic (FF D8 FF for JPEG, 89 'PNG' for PNG) and decodes.
Result<Image> decode_image(std::span<const uint8_t> bytes, const std::string& source, const DecodeOptions& options = {});
Result<Image> load_image(const std::filesystem::path& path, const DecodeOptions& options = {});

// The 1/k scale decode_jpeg uses for an image of width x height under `options` (1: full
// size), or 0 if the image is refused (empty, too elongated, or over the pixel budget at
// every permitted scale).
int jpeg_scale_denominator(int64_t width, int64_t height, const DecodeOptions& options);

// Encoders: `grey` writes one channel (the R plane), to test greyscale expansion.
Result<std::vector<uint8_t>> encode_jpeg(const Image& img, int quality = 95, bool grey = false);
Result<std::vector<uint8_t>> encode_png(const Image& img, bool grey = false);
Status write_bytes(const std::filesystem::path& path, std::span<const uint8_t> bytes);

// root/<class>/<file>: classes are the sorted subfolder names (label = index), files sorted
// within a class. Only .jpg, .jpeg and .png (any case) are taken.
enum class Verify {
  none,    // list files only (fast; a corrupt file shows up when the loader decodes it)
  header,  // check each file's magic (cheap)
  full,    // decode every image; unreadable ones are skipped
};

struct ImageFolderReport {
  int empty_classes = 0;   // class folders with no image (a warning each)
  int skipped_images = 0;  // unreadable images left out (a warning each, and one per class with the count)
  std::vector<std::string> warnings;
};

// The default largest fraction of a class's images that may be unreadable: beyond it the
// dataset is refused (a broken copy, the wrong folder), below it the images are skipped with
// a warning. Used by scan_image_folder and by the BatchLoader (LoaderOptions).
inline constexpr double kMaxUnreadableFraction = 0.01;

struct ImageFolder {
  std::filesystem::path root;
  std::vector<std::string> classes;
  std::vector<std::filesystem::path> files;
  std::vector<int32_t> labels;  // one per file
  ImageFolderReport report;
  size_t size() const { return files.size(); }
};

// Errc::io if root cannot be listed; Errc::invalid_argument if it has fewer than two class
// folders (no classifier can learn one class) or if every class folder is empty;
// Errc::parse if more than `max_unreadable` of a class's image files fail the check of
// `verify` (the message names the class folder, the counts and the first failing file with
// its error). An empty class folder is a warning.
Result<ImageFolder> scan_image_folder(const std::filesystem::path& root, Verify verify = Verify::header,
                                      double max_unreadable = kMaxUnreadableFraction);

}  // namespace vknn::data
