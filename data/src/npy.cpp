#include "vknn/data/npy.h"

#include "vknn/data/datasets.h"
#include "vknn/engine/checked.h"
#include "vknn/engine/file.h"

#include <bit>
#include <cstring>
#include <limits>
#include <string_view>

namespace vknn::data {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy data is read as little-endian");

constexpr std::string_view kMagic{"\x93NUMPY", 6};
// The shaders and the loaders index with 32-bit integers; an array from a user file is an
// input tensor, so it stays far below 2^31 elements.
constexpr int64_t kMaxElements = int64_t(1) << 31;
constexpr size_t kMaxHeader = 1 << 20;  // numpy writes a few hundred bytes

// A cursor over the header's Python literal. The grammar accepted is exactly what
// numpy.lib.format writes (and whitespace around tokens):
//   { 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class Literal {
 public:
  Literal(std::string_view s, const std::string& what) : s_(s), what_(what) {}

  void skip_space() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t')) ++p_;
  }
  bool eat(char c) {
    skip_space();
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  Status expect(char c) {
    if (!eat(c)) return error(fmt::format("expected '{}'", c));
    return {};
  }
  Result<std::string> string() {
    skip_space();
    if (p_ >= s_.size() || (s_[p_] != '\'' && s_[p_] != '"')) return error("expected a string");
    const char quote = s_[p_++];
    const size_t end = s_.find(quote, p_);
    if (end == std::string_view::npos) return error("unterminated string");
    std::string v(s_.substr(p_, end - p_));
    if (v.find('\\') != std::string::npos) return error("escapes in a string");
    p_ = end + 1;
    return v;
  }
  Result<bool> boolean() {
    skip_space();
    for (auto [word, value] : {std::pair{std::string_view("True"), true}, std::pair{std::string_view("False"), false}})
      if (s_.substr(p_, word.size()) == word) {
        p_ += word.size();
        return value;
      }
    return error("expected True or False");
  }
  Result<int64_t> integer() {
    skip_space();
    const size_t start = p_;
    int64_t v = 0;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, s_[p_] - '0', &v))
        return error("a dimension overflows int64");
      ++p_;
    }
    if (p_ == start) return error("expected a non-negative integer");
    if (p_ < s_.size() && s_[p_] == 'L') ++p_;  // Python 2 longs, as old numpy wrote them
    return v;
  }
  Result<std::vector<int64_t>> tuple() {
    VKNN_TRY(expect('('));
    std::vector<int64_t> dims;
    while (!eat(')')) {
      VKNN_ASSIGN(const int64_t d, integer());
      dims.push_back(d);
      if (dims.size() > 32) return error("more than 32 dimensions");
      if (!eat(',')) {
        VKNN_TRY(expect(')'));
        break;
      }
    }
    return dims;
  }
  bool at_end() {
    skip_space();
    return p_ == s_.size();
  }
  Error error(const std::string& why) const {
    return make_error(Errc::parse, "{}: .npy header: {} at offset {} of \"{}\"", what_, why, p_, s_);
  }

 private:
  std::string_view s_;
  const std::string& what_;
  size_t p_ = 0;
};

struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
};

Result<Header> parse_header(std::string_view text, const std::string& what) {
  Literal lit(text, what);
  Header h;
  bool seen_descr = false, seen_order = false, seen_shape = false;
  VKNN_TRY(lit.expect('{'));
  while (!lit.eat('}')) {
    VKNN_ASSIGN(const std::string key, lit.string());
    VKNN_TRY(lit.expect(':'));
    if (key == "descr" && !seen_descr) {
      VKNN_ASSIGN(h.descr, lit.string());
      seen_descr = true;
    } else if (key == "fortran_order" && !seen_order) {
      VKNN_ASSIGN(h.fortran, lit.boolean());
      seen_order = true;
    } else if (key == "shape" && !seen_shape) {
      VKNN_ASSIGN(h.shape, lit.tuple());
      seen_shape = true;
    } else {
      return lit.error(fmt::format("unexpected or repeated key '{}'", key));
    }
    if (!lit.eat(',')) {
      VKNN_TRY(lit.expect('}'));
      break;
    }
  }
  if (!lit.at_end()) return lit.error("text after the dict");
  if (!seen_descr || !seen_order || !seen_shape) return lit.error("'descr', 'fortran_order' or 'shape' is missing");
  return h;
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

Result<NpyArray> parse_npy(std::span<const uint8_t> bytes, const std::string& what) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    return make_error(Errc::parse, "{}: not a .npy file (no \\x93NUMPY magic)", what);
  const uint8_t major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0)
    return make_error(Errc::parse, "{}: .npy format version {}.{} is not 1.0, 2.0 or 3.0", what, major, minor);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = load<uint16_t>(bytes.data() + 8);
    offset = 10;
  } else {
    if (bytes.size() < 12) return make_error(Errc::parse, "{}: truncated .npy header", what);
    header_len = load<uint32_t>(bytes.data() + 8);
    offset = 12;
  }
  if (header_len > kMaxHeader || header_len > bytes.size() - offset)
    return make_error(Errc::parse, "{}: .npy header of {} bytes does not fit the file ({} bytes)", what, header_len,
                      bytes.size());
  std::string_view text(reinterpret_cast<const char*>(bytes.data() + offset), header_len);
  // numpy pads with spaces and ends the header with a newline.
  if (text.empty() || text.back() != '\n') return make_error(Errc::parse, "{}: .npy header does not end in a newline", what);
  text.remove_suffix(1);
  for (char c : text)
    if (c < 0x20 || c > 0x7e) return make_error(Errc::parse, "{}: .npy header holds a non-printable byte", what);
  VKNN_ASSIGN(const Header h, parse_header(text, what));
  if (h.fortran)
    return make_error(Errc::unsupported, "{}: Fortran-order arrays are not supported (save with C order)", what);
  size_t item = 0;
  if (h.descr == "<f4" || h.descr == "<i4") item = 4;
  else if (h.descr == "<f8" || h.descr == "<i8") item = 8;
  else
    return make_error(Errc::unsupported, "{}: dtype '{}' is not supported (float32, float64, int32 or int64, little-endian)",
                      what, h.descr);
  const std::optional<int64_t> elements = checked_product<int64_t>(h.shape, 1, kMaxElements);
  if (!elements) return make_error(Errc::parse, "{}: shape {} has more than 2^31 elements", what, fmt::join(h.shape, "x"));
  const int64_t count = *elements;
  const size_t data = offset + header_len;
  const uint64_t need = uint64_t(count) * item;  // < 2^34
  if (bytes.size() - data != need)
    return make_error(Errc::parse, "{}: shape ({}) of '{}' needs {} data bytes, the file has {}", what,
                      fmt::join(h.shape, ", "), h.descr, need, bytes.size() - data);
  NpyArray out;
  out.shape = h.shape;
  out.values.resize(size_t(count));
  const uint8_t* p = bytes.data() + data;
  if (h.descr == "<f4") {
    // An empty array has no data pointer; memcpy from or to null is undefined even for 0 bytes.
    if (need > 0) std::memcpy(out.values.data(), p, need);
  } else {
    for (size_t k = 0; k < out.values.size(); ++k) {
      const uint8_t* e = p + k * item;
      out.values[k] = h.descr == "<f8" ? float(load<double>(e))
                      : h.descr == "<i4" ? float(load<int32_t>(e))
                                         : float(load<int64_t>(e));
    }
  }
  return out;
}

Result<NpyArray> read_npy(const std::filesystem::path& path) {
  VKNN_ASSIGN(const std::vector<uint8_t> bytes, read_file(path));
  return parse_npy(bytes, path.string());
}

Result<std::vector<uint8_t>> format_npy(const NpyArray& a) {
  int64_t count = 1;
  for (int64_t d : a.shape)
    if (d < 0 || __builtin_mul_overflow(count, d, &count))
      return make_error(Errc::invalid_argument, ".npy: invalid shape ({})", fmt::join(a.shape, ", "));
  if (uint64_t(count) != a.values.size())
    return make_error(Errc::invalid_argument, ".npy: shape ({}) needs {} values, got {}", fmt::join(a.shape, ", "),
                      count, a.values.size());
  // A Python tuple: "()", "(2,)", "(2, 3)".
  const std::string shape = a.shape.size() == 1 ? fmt::format("({},)", a.shape[0])
                                                 : fmt::format("({})", fmt::join(a.shape, ", "));
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}", shape);
  // Pad with spaces so that the data starts at a multiple of 64 bytes, then a newline.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 0xffff) return make_error(Errc::invalid_argument, ".npy: header too long");
  std::vector<uint8_t> out(10 + header.size() + a.values.size() * 4);
  std::memcpy(out.data(), kMagic.data(), kMagic.size());
  out[6] = 1, out[7] = 0;
  const auto len = uint16_t(header.size());
  std::memcpy(out.data() + 8, &len, 2);
  std::memcpy(out.data() + 10, header.data(), header.size());
  // An empty array's values.data() may be null, and memcpy from null is undefined even for 0 bytes.
  if (!a.values.empty()) std::memcpy(out.data() + 10 + header.size(), a.values.data(), a.values.size() * 4);
  return out;
}

Status write_npy(const std::filesystem::path& path, const NpyArray& a) {
  VKNN_ASSIGN(const std::vector<uint8_t> bytes, format_npy(a));
  return write_file_atomic(path, bytes);
}

}  // namespace vknn::data
