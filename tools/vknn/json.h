// A minimal JSON writer for the CLI's --json output (no parsing needed).
#pragma once

#include <string>
#include <vector>

namespace vknn::tools {

class Json {
 public:
  Json& begin_object(const char* key = nullptr);
  Json& end_object();
  Json& begin_array(const char* key = nullptr);
  Json& end_array();
  Json& value(const char* key, const std::string& v);
  Json& value(const char* key, const char* v) { return value(key, std::string(v)); }
  Json& value(const char* key, double v);
  Json& value(const char* key, long long v);
  Json& value(const char* key, unsigned long long v);
  Json& value(const char* key, int v) { return value(key, (long long)v); }
  Json& value(const char* key, unsigned v) { return value(key, (unsigned long long)v); }
  Json& value(const char* key, bool v);
  const std::string& str() const { return out_; }

 private:
  void key(const char* k);
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
};

std::string json_escape(const std::string& s);

}  // namespace vknn::tools
