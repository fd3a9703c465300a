#include "host_tensor.h"

#include <onnx/onnx_pb.h>

#include <sys/mman.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace vknn::onnx {

static_assert(std::endian::native == std::endian::little, "raw_data is little-endian; a big-endian host must swap");

const char* onnx_type_name(int32_t type) {
  switch (type) {
    case kFloat: return "FLOAT";
    case kUint8: return "UINT8";
    case kInt8: return "INT8";
    case kUint16: return "UINT16";
    case kInt16: return "INT16";
    case kInt32: return "INT32";
    case kInt64: return "INT64";
    case kString: return "STRING";
    case kBool: return "BOOL";
    case kFloat16: return "FLOAT16";
    case kDouble: return "DOUBLE";
    case kUint32: return "UINT32";
    case kUint64: return "UINT64";
    case 14: return "COMPLEX64";
    case 15: return "COMPLEX128";
    case kBfloat16: return "BFLOAT16";
    default: return "UNDEFINED";
  }
}

bool is_float_type(int32_t t) { return t == kFloat || t == kFloat16 || t == kDouble || t == kBfloat16; }
bool is_integer_type(int32_t t) {
  return t == kUint8 || t == kInt8 || t == kUint16 || t == kInt16 || t == kInt32 || t == kInt64 || t == kBool ||
         t == kUint32 || t == kUint64;
}

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

HostTensor HostTensor::ints(std::vector<int64_t> dims, std::vector<int64_t> v, int32_t onnx_type) {
  HostTensor t;
  t.kind = Kind::i64;
  t.onnx_type = onnx_type;
  t.dims = std::move(dims);
  t.i = std::move(v);
  return t;
}

HostTensor HostTensor::floats(std::vector<int64_t> dims, std::vector<float> v) {
  HostTensor t;
  t.kind = Kind::f32;
  t.onnx_type = kFloat;
  t.dims = std::move(dims);
  t.f = std::make_shared<const std::vector<float>>(std::move(v));
  return t;
}

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t k = 0; k < dims.size(); ++k) s += fmt::format("{}{}", k ? "," : "", dims[k]);
  return s + "]";
}

Result<int64_t> checked_numel(const std::vector<int64_t>& dims, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return make_error(Errc::parse, "{}: negative dimension in shape {}", what, dims_str(dims));
    if (__builtin_mul_overflow(n, d, &n) || n > kMaxTensorElements)
      return make_error(Errc::parse, "{}: shape {} has more than 2^31 elements", what, dims_str(dims));
  }
  return n;
}

Status ExternalData::read(const std::string& tensor, const std::string& location, uint64_t offset, uint64_t length,
                          std::string& out) {
  if (dir_.empty())
    return make_error(Errc::invalid_argument,
                      "tensor '{}' keeps its data in external file '{}', but the model was read from memory without a "
                      "folder to find it in",
                      tensor, location);
  const std::filesystem::path rel(location);
  bool escapes = rel.empty() || rel.is_absolute() || rel.has_root_name();
  for (const auto& part : rel) escapes = escapes || part == "..";
  if (escapes)
    return make_error(Errc::parse, "tensor '{}': external data location '{}' is not a relative path inside the model's "
                      "folder", tensor, location);
  auto it = files_.find(location);
  if (it == files_.end()) {
    const std::filesystem::path path = dir_ / rel;
    File f;
    std::error_code ec;
    f.size = std::filesystem::file_size(path, ec);
    if (ec || !std::filesystem::is_regular_file(path, ec))
      return make_error(Errc::io, "tensor '{}': external data file '{}' cannot be read ({})", tensor, path.string(),
                        ec ? ec.message() : "not a regular file");
    f.in.open(path, std::ios::binary);
    if (!f.in) return make_error(Errc::io, "tensor '{}': cannot open external data file '{}'", tensor, path.string());
    it = files_.emplace(location, std::move(f)).first;
  }
  File& f = it->second;
  if (offset > f.size || length > f.size - offset)
    return make_error(Errc::parse, "tensor '{}': external data [{}, +{}) lies outside '{}' ({} bytes)", tensor, offset,
                      length, location, f.size);
  out.resize(size_t(length));
  f.in.clear();
  f.in.seekg(std::streamoff(offset));
  f.in.read(out.data(), std::streamsize(length));
  if (!f.in) return make_error(Errc::io, "tensor '{}': reading {} bytes of '{}' failed", tensor, length, location);
  return {};
}

namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24
    const float v = std::ldexp(float(mant), -24);
    return sign ? -v : v;
  }
  uint32_t bits = exp == 31 ? sign | 0x7f800000u | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
  return std::bit_cast<float>(bits);
}

float bfloat_to_float(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }

size_t element_bytes(int32_t type) {
  switch (type) {
    case kFloat: case kInt32: case kUint32: return 4;
    case kUint8: case kInt8: case kBool: return 1;
    case kUint16: case kInt16: case kFloat16: case kBfloat16: return 2;
    case kInt64: case kUint64: case kDouble: return 8;
    default: return 0;
  }
}

// Element k of little-endian bytes of `type`, as double (floats) or int64 (integers).
template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

Result<int64_t> raw_int(int32_t type, const uint8_t* p, const std::string& what) {
  switch (type) {
    case kUint8: return int64_t(*p);
    case kInt8: return int64_t(int8_t(*p));
    case kBool: return int64_t(*p != 0);
    case kUint16: return int64_t(load<uint16_t>(p));
    case kInt16: return int64_t(load<int16_t>(p));
    case kInt32: return int64_t(load<int32_t>(p));
    case kUint32: return int64_t(load<uint32_t>(p));
    case kInt64: return load<int64_t>(p);
    case kUint64: {
      const uint64_t v = load<uint64_t>(p);
      if (v > uint64_t(std::numeric_limits<int64_t>::max()))
        return make_error(Errc::unsupported, "{}: UINT64 value {} does not fit int64", what, v);
      return int64_t(v);
    }
    default: return make_error(Errc::unsupported, "{}: element type {} is not supported", what, onnx_type_name(type));
  }
}

float raw_float(int32_t type, const uint8_t* p) {
  switch (type) {
    case kFloat: return load<float>(p);
    case kDouble: return float(load<double>(p));
    case kFloat16: return half_to_float(load<uint16_t>(p));
    default: return bfloat_to_float(load<uint16_t>(p));  // kBfloat16
  }
}

// The values of a FLOAT tensor from its raw bytes. Importing
// a 100 MB model is dominated by page faults on the memory that receives the weights (each
// fault costs far more than copying its 4 KiB), so the 2 MiB-aligned interior of a large
// tensor asks for transparent huge pages before it is first written: one fault per 2 MiB. A
// hint only: where the kernel has them off, the pages stay small.
std::shared_ptr<const std::vector<float>> floats_from_raw(const uint8_t* p, size_t n) {
  auto v = std::make_shared<std::vector<float>>();
  v->reserve(n);
  constexpr uintptr_t kHuge = uintptr_t(1) << 21;
  const auto at = reinterpret_cast<uintptr_t>(v->data());
  const uintptr_t begin = (at + kHuge - 1) & ~(kHuge - 1), end = (at + n * sizeof(float)) & ~(kHuge - 1);
#ifdef MADV_HUGEPAGE
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
  v->resize(n);
  std::memcpy(v->data(), p, n * sizeof(float));
  return v;
}

Status check_count(size_t have, int64_t want, const char* field, const std::string& what) {
  if (int64_t(have) != want)
    return make_error(Errc::parse, "{}: {} holds {} values, its shape needs {}", what, field, have, want);
  return {};
}

}  // namespace

Result<HostTensor> read_tensor(const ::onnx::TensorProto& t, ExternalData& external, const std::string& what) {
  const int32_t type = t.data_type();
  if (!is_float_type(type) && !is_integer_type(type))
    return make_error(Errc::unsupported, "{}: element type {} is not supported", what, onnx_type_name(type));
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  VKNN_ASSIGN(const int64_t n, checked_numel(dims, what));
  const size_t esize = element_bytes(type);

  // Raw little-endian bytes: raw_data, or the same bytes from an external file.
  std::string external_bytes;
  const std::string* raw = t.has_raw_data() ? &t.raw_data() : nullptr;
  if (t.data_location() == ::onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = uint64_t(n) * esize;
    bool has_length = false;
    for (const auto& kv : t.external_data()) {
      auto number = [&](uint64_t& v) -> Status {
        const std::string& s = kv.value();
        v = 0;
        if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
          return make_error(Errc::parse, "{}: external_data {} '{}' is not a decimal number", what, kv.key(), s);
        v = std::stoull(s);
        return {};
      };
      if (kv.key() == "location") location = kv.value();
      else if (kv.key() == "offset") VKNN_TRY(number(offset));
      else if (kv.key() == "length") { VKNN_TRY(number(length)); has_length = true; }
    }
    if (location.empty()) return make_error(Errc::parse, "{}: external data without a location", what);
    if (has_length && length != uint64_t(n) * esize)
      return make_error(Errc::parse, "{}: external data length {} is not {} elements of {} bytes", what, length, n,
                        esize);
    VKNN_TRY(external.read(t.name(), location, offset, uint64_t(n) * esize, external_bytes));
    raw = &external_bytes;
  }
  // The values the file holds, checked against the shape before anything is allocated for
  // it: a few bytes may declare dims of billions of elements.
  if (raw && raw->size() != size_t(n) * esize)
    return make_error(Errc::parse, "{}: raw data has {} bytes, its shape {} of {} needs {}", what, raw->size(),
                      dims_str(dims), onnx_type_name(type), size_t(n) * esize);
  if (!raw) {
    const bool in_int32 = type == kFloat16 || type == kBfloat16 || (!is_float_type(type) && type != kInt64 &&
                                                                    type != kUint32 && type != kUint64);
    if (type == kFloat) VKNN_TRY(check_count(size_t(t.float_data_size()), n, "float_data", what));
    else if (type == kDouble) VKNN_TRY(check_count(size_t(t.double_data_size()), n, "double_data", what));
    else if (type == kInt64) VKNN_TRY(check_count(size_t(t.int64_data_size()), n, "int64_data", what));
    else if (type == kUint32 || type == kUint64)
      VKNN_TRY(check_count(size_t(t.uint64_data_size()), n, "uint64_data", what));
    else if (in_int32) VKNN_TRY(check_count(size_t(t.int32_data_size()), n, "int32_data", what));
  }

  HostTensor out;
  out.onnx_type = type;
  out.dims = std::move(dims);
  if (is_float_type(type)) {
    out.kind = HostTensor::Kind::f32;
    const auto* p = raw ? reinterpret_cast<const uint8_t*>(raw->data()) : nullptr;
    if (raw && type == kFloat) {
      out.f = floats_from_raw(p, size_t(n));
      return out;
    }
    std::vector<float> v(static_cast<size_t>(n));
    if (raw) {
      for (size_t k = 0; k < v.size(); ++k) v[k] = raw_float(type, p + k * esize);
    } else if (type == kFloat) {
      std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
    } else if (type == kDouble) {
      for (size_t k = 0; k < v.size(); ++k) v[k] = float(t.double_data(int(k)));
    } else {  // float16 and bfloat16 keep their bits in int32_data
      for (size_t k = 0; k < v.size(); ++k) {
        const auto bits = uint16_t(t.int32_data(int(k)));
        v[k] = type == kFloat16 ? half_to_float(bits) : bfloat_to_float(bits);
      }
    }
    out.f = std::make_shared<const std::vector<float>>(std::move(v));
    return out;
  }
  out.kind = HostTensor::Kind::i64;
  out.i.resize(size_t(n));
  if (raw) {
    const auto* p = reinterpret_cast<const uint8_t*>(raw->data());
    for (size_t k = 0; k < out.i.size(); ++k) {
      VKNN_ASSIGN(out.i[k], raw_int(type, p + k * esize, what));
    }
  } else if (type == kInt64) {
    std::copy(t.int64_data().begin(), t.int64_data().end(), out.i.begin());
  } else if (type == kUint32 || type == kUint64) {
    for (size_t k = 0; k < out.i.size(); ++k) {
      const uint64_t v = t.uint64_data(int(k));
      if (v > uint64_t(std::numeric_limits<int64_t>::max()))
        return make_error(Errc::unsupported, "{}: value {} does not fit int64", what, v);
      out.i[k] = int64_t(v);
    }
  } else {
    for (size_t k = 0; k < out.i.size(); ++k) out.i[k] = type == kBool ? t.int32_data(int(k)) != 0 : t.int32_data(int(k));
  }
  return out;
}

void write_tensor(const HostTensor& t, const std::string& name, ::onnx::TensorProto& out) {
  out.set_name(name);
  for (int64_t d : t.dims) out.add_dims(d);
  if (t.is_float()) {
    out.set_data_type(kFloat);
    out.set_raw_data(std::string(reinterpret_cast<const char*>(t.f->data()), t.f->size() * 4));
  } else {
    out.set_data_type(kInt64);
    out.set_raw_data(std::string(reinterpret_cast<const char*>(t.i.data()), t.i.size() * 8));
  }
}

}  // namespace vknn::onnx
