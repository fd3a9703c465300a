// vknn devices: every Vulkan device with its type, driver, API version and capabilities.
#include "cli.h"

#include "vknn/engine/context.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vknn::tools {
namespace {

std::string yes(bool b) { return b ? "yes" : "no"; }

void print_text(const std::vector<DeviceCaps>& devices) {
  for (const auto& d : devices) {
    fmt::print("[{}] {} ({})\n", d.index, d.name, device_type_name(d.type));
    fmt::print("    driver: {} {} | Vulkan {} | vendor {:#06x} device {:#06x}\n", d.driver_name, d.driver_info,
               api_version_string(d.api_version), d.vendor_id, d.device_id);
    fmt::print("    subgroup: size {}, ops {}{}\n", d.subgroup_size, subgroup_ops_string(d.subgroup_operations),
               d.subgroup_in_compute ? "" : " (not in compute)");
    fmt::print("    fp16: storage {} arithmetic {} | int8: storage {} arithmetic {}\n", yes(d.storage_buffer_16bit),
               yes(d.shader_float16), yes(d.storage_buffer_8bit), yes(d.shader_int8));
    fmt::print("    timeline semaphores {} | synchronization2 {} | cooperative matrix {} | external host memory {}\n",
               yes(d.timeline_semaphore), yes(d.synchronization2), yes(d.cooperative_matrix),
               yes(d.external_memory_host));
    fmt::print("    timestamp period {} ns | max workgroup count {}x{}x{} | shared memory {} KiB\n",
               d.timestamp_period_ns, d.max_workgroup_count[0], d.max_workgroup_count[1], d.max_workgroup_count[2],
               d.max_shared_memory / 1024);
    for (const auto& q : d.queue_families)
      fmt::print("    queue family {}: {} queue(s), {}, timestamps {} bits\n", q.index, q.count,
                 queue_flags_string(q.flags), q.timestamp_valid_bits);
    for (size_t i = 0; i < d.memory_heaps.size(); ++i)
      fmt::print("    memory heap {}: {:.1f} GiB{}\n", i, double(d.memory_heaps[i].size) / (1ull << 30),
                 d.memory_heaps[i].device_local ? ", device-local" : "");
  }
}

void print_json(const std::vector<DeviceCaps>& devices) {
  nlohmann::ordered_json out = {{"devices", nlohmann::ordered_json::array()}};
  for (const auto& d : devices) {
    nlohmann::ordered_json q = nlohmann::ordered_json::array(), heaps = nlohmann::ordered_json::array();
    for (const auto& f : d.queue_families)
      q.push_back({{"index", f.index}, {"count", f.count}, {"flags", queue_flags_string(f.flags)},
                   {"timestamp_valid_bits", f.timestamp_valid_bits}});
    for (const auto& h : d.memory_heaps) heaps.push_back({{"size", h.size}, {"device_local", h.device_local}});
    out["devices"].push_back({
        {"index", d.index},
        {"name", d.name},
        {"type", device_type_name(d.type)},
        {"vendor_id", d.vendor_id},
        {"device_id", d.device_id},
        {"api_version", api_version_string(d.api_version)},
        {"driver_name", d.driver_name},
        {"driver_info", d.driver_info},
        {"subgroup",
         {{"size", d.subgroup_size},
          {"operations", subgroup_ops_string(d.subgroup_operations)},
          {"in_compute", d.subgroup_in_compute}}},
        {"storage_buffer_16bit", d.storage_buffer_16bit},
        {"shader_float16", d.shader_float16},
        {"storage_buffer_8bit", d.storage_buffer_8bit},
        {"shader_int8", d.shader_int8},
        {"timeline_semaphore", d.timeline_semaphore},
        {"synchronization2", d.synchronization2},
        {"cooperative_matrix", d.cooperative_matrix},
        {"external_memory_host", d.external_memory_host},
        {"timestamp_period_ns", d.timestamp_period_ns},
        {"max_shared_memory", d.max_shared_memory},
        {"max_workgroup_count", d.max_workgroup_count},
        {"queue_families", q},
        {"memory_heaps", heaps},
    });
  }
  fmt::print("{}\n", out.dump());
}


int run_devices(bool json) {
  auto devices = enumerate_devices();
  if (!devices.ok()) {
    fmt::print(stderr, "vknn devices: {}\n", devices.error().what());
    if (json) fmt::print("{}\n", nlohmann::json{{"devices", nlohmann::json::array()}, {"error", devices.error().message}}.dump());
    return 1;
  }
  if (devices->empty()) {
    fmt::print(stderr, "vknn devices: no Vulkan device found. Install a driver (Debian: mesa-vulkan-drivers "
                       "provides lavapipe, a CPU implementation).\n");
    if (json) fmt::print("{{\"devices\":[]}}\n");
    return 1;
  }
  if (json) print_json(*devices);
  else print_text(*devices);
  return 0;
}

Run setup(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print one JSON document instead of text");
  return [json] { return run_devices(*json); };
}

[[maybe_unused]] const bool registered =
    register_command({"devices", "list Vulkan devices and their capabilities", setup});

}  // namespace

}  // namespace vknn::tools
