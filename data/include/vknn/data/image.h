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

// Decoders never exit or longjmp past the caller: a corrupt stream is Errc::parse naming
// `source`; images above max_pixels are refused before any pixel buffer is allocated.
inline constexpr int64_t kMaxImagePixels = int64_t(1) << 28;
Result<Image> decode_jpeg(std::span<const uint8_t> bytes, const std::string& source);
Result<Image> decode_png(std::span<const uint8_t> bytes, const std::string& source);
// Sniffs the magic (FF D8 FF for JPEG, 89 'PNG' for PNG) and decodes.
Result<Image> decode_image(std::span<const uint8_t> bytes, const std::string& source);
Result<Image> load_image(const std::filesystem::path& path);

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
