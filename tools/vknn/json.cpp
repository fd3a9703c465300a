#include "json.h"

#include <fmt/format.h>

#include <cmath>

namespace vknn::tools {

std::string json_escape(const std::string& s) {
  std::string o = "\"";
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (ch < 0x20) o += fmt::format("\\u{:04x}", ch);
        else o += char(ch);
    }
  }
  return o + "\"";
}

void Json::key(const char* k) {
  if (!first_.empty()) {
    if (!first_.back()) out_ += ",";
    first_.back() = false;
  }
  if (k) out_ += json_escape(k) + ":";
}

Json& Json::begin_object(const char* k) {
  key(k);
  out_ += "{";
  first_.push_back(true);
  return *this;
}
Json& Json::end_object() {
  out_ += "}";
  first_.pop_back();
  return *this;
}
Json& Json::begin_array(const char* k) {
  key(k);
  out_ += "[";
  first_.push_back(true);
  return *this;
}
Json& Json::end_array() {
  out_ += "]";
  first_.pop_back();
  return *this;
}
Json& Json::value(const char* k, const std::string& v) {
  key(k);
  out_ += json_escape(v);
  return *this;
}
Json& Json::value(const char* k, double v) {
  key(k);
  out_ += std::isfinite(v) ? fmt::format("{}", v) : "null";
  return *this;
}
Json& Json::value(const char* k, long long v) {
  key(k);
  out_ += fmt::format("{}", v);
  return *this;
}
Json& Json::value(const char* k, unsigned long long v) {
  key(k);
  out_ += fmt::format("{}", v);
  return *this;
}
Json& Json::value(const char* k, bool v) {
  key(k);
  out_ += v ? "true" : "false";
  return *this;
}

}  // namespace vknn::tools
