#include "vknn/engine/tuning.h"

#include "vknn/engine/caps.h"
#include "vknn/engine/file.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

namespace vknn {
namespace {

constexpr const char* kSchema = "vknn-tune-1";
constexpr size_t kMaxFileBytes = 16u << 20;  // far beyond any real table; larger files are refused unread

}  // namespace

TuneIdentity TuneIdentity::of(const DeviceCaps& caps) {
  TuneIdentity id;
  for (uint8_t b : caps.device_uuid) id.device_uuid += fmt::format("{:02x}", b);
  id.driver_version = caps.driver_version;
  id.device_name = caps.name;
  return id;
}

std::filesystem::path tune_file_path(const std::string& dir, const DeviceCaps& caps) {
  std::filesystem::path d = dir;
  if (d.empty()) {
    if (const char* e = std::getenv("VKNN_PIPELINE_CACHE_DIR"); e && *e)
      d = e;
    else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
      d = std::filesystem::path(x) / "vknn";
    else if (const char* h = std::getenv("HOME"); h && *h)
      d = std::filesystem::path(h) / ".cache" / "vknn";
  }
  if (d.empty() || d == "-") return {};
  return d / fmt::format("tune-{}.json", TuneIdentity::of(caps).device_uuid);
}

Result<std::map<std::string, std::string>> TuneTable::parse(std::string_view text, const TuneIdentity& id) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(Errc::parse, "it is not JSON");
  if (!j.is_object()) return make_error(Errc::parse, "it is not a JSON object");
  auto str = [&](const char* k) -> const std::string* {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  if (const std::string* s = str("schema"); !s || *s != kSchema)
    return make_error(Errc::parse, "its \"schema\" is not \"{}\"", kSchema);
  const std::string* uuid = str("device_uuid");
  if (!uuid) return make_error(Errc::parse, "it has no \"device_uuid\" string");
  if (*uuid != id.device_uuid)
    return make_error(Errc::parse, "it belongs to device UUID {}, not to this device's {}", *uuid, id.device_uuid);
  auto dv = j.find("driver_version");
  if (dv == j.end() || !dv->is_number_unsigned()) return make_error(Errc::parse, "it has no unsigned \"driver_version\"");
  if (dv->get<uint64_t>() != id.driver_version)
    return make_error(Errc::parse, "it was timed with driver version {}, not this driver's {}", dv->get<uint64_t>(),
                      id.driver_version);
  auto ch = j.find("choices");
  if (ch == j.end() || !ch->is_object()) return make_error(Errc::parse, "it has no \"choices\" object");
  std::map<std::string, std::string> out;
  for (auto it = ch->begin(); it != ch->end(); ++it) {
    if (!it.value().is_string()) return make_error(Errc::parse, "the choice for \"{}\" is not a string", it.key());
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

std::string TuneTable::serialize(const std::map<std::string, std::string>& choices, const TuneIdentity& id) {
  nlohmann::json j;
  j["schema"] = kSchema;
  j["device_uuid"] = id.device_uuid;
  j["driver_version"] = id.driver_version;
  j["device_name"] = id.device_name;
  j["choices"] = nlohmann::json::object();
  for (const auto& [k, v] : choices) j["choices"][k] = v;
  // Names come from drivers: never let a stray byte make the dump throw.
  return j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::shared_ptr<TuneTable> TuneTable::open(std::filesystem::path path, TuneIdentity id,
                                           std::vector<std::string>* warnings) {
  std::shared_ptr<TuneTable> t(new TuneTable());
  t->path_ = std::move(path);
  t->id_ = std::move(id);
  std::error_code ec;
  if (t->path_.empty() || !std::filesystem::exists(t->path_, ec)) return t;
  auto warn = [&](const std::string& why) {
    if (warnings) warnings->push_back(fmt::format("ignoring tuning cache {}: {}", t->path_.string(), why));
  };
  const auto size = std::filesystem::file_size(t->path_, ec);
  if (ec) return warn(ec.message()), t;
  if (size > kMaxFileBytes) return warn(fmt::format("{} bytes is larger than {}", size, kMaxFileBytes)), t;
  auto bytes = read_file_bytes(t->path_);
  if (!bytes.ok()) return warn(bytes.error().message), t;
  auto choices = parse({reinterpret_cast<const char*>(bytes->data()), bytes->size()}, t->id_);
  if (!choices.ok()) return warn(choices.error().message), t;
  t->choices_ = std::move(*choices);
  return t;
}

std::optional<std::string> TuneTable::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = choices_.find(key);
  if (it == choices_.end()) return std::nullopt;
  return it->second;
}

size_t TuneTable::size() const {
  std::lock_guard lock(mutex_);
  return choices_.size();
}

Status TuneTable::set(const std::string& key, std::string choice) {
  std::lock_guard lock(mutex_);
  choices_[key] = std::move(choice);
  if (path_.empty()) return {};
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  if (ec) return make_error(Errc::io, "creating the tuning cache folder {}: {}", path_.parent_path().string(), ec.message());
  const std::string text = serialize(choices_, id_);
  return write_file_atomic(path_, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

}  // namespace vknn
