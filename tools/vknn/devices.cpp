// vknn devices: every Vulkan device with its type, driver, API version and capabilities.
#include "commands.h"
#include "json.h"

#include "vknn/engine/context.h"

#include <fmt/format.h>

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
  Json j;
  j.begin_object().begin_array("devices");
  for (const auto& d : devices) {
    j.begin_object();
    j.value("index", d.index).value("name", d.name).value("type", device_type_name(d.type));
    j.value("vendor_id", d.vendor_id).value("device_id", d.device_id);
    j.value("api_version", api_version_string(d.api_version)).value("driver_name", d.driver_name);
    j.value("driver_info", d.driver_info);
    j.begin_object("subgroup")
        .value("size", d.subgroup_size)
        .value("operations", subgroup_ops_string(d.subgroup_operations))
        .value("in_compute", d.subgroup_in_compute)
        .end_object();
    j.value("storage_buffer_16bit", d.storage_buffer_16bit).value("shader_float16", d.shader_float16);
    j.value("storage_buffer_8bit", d.storage_buffer_8bit).value("shader_int8", d.shader_int8);
    j.value("timeline_semaphore", d.timeline_semaphore).value("synchronization2", d.synchronization2);
    j.value("cooperative_matrix", d.cooperative_matrix).value("external_memory_host", d.external_memory_host);
    j.value("timestamp_period_ns", double(d.timestamp_period_ns));
    j.value("max_shared_memory", d.max_shared_memory);
    j.begin_array("max_workgroup_count");
    for (uint32_t c : d.max_workgroup_count) j.value(nullptr, c);
    j.end_array();
    j.begin_array("queue_families");
    for (const auto& q : d.queue_families)
      j.begin_object()
          .value("index", q.index)
          .value("count", q.count)
          .value("flags", queue_flags_string(q.flags))
          .value("timestamp_valid_bits", q.timestamp_valid_bits)
          .end_object();
    j.end_array();
    j.begin_array("memory_heaps");
    for (const auto& h : d.memory_heaps)
      j.begin_object().value("size", (unsigned long long)h.size).value("device_local", h.device_local).end_object();
    j.end_array();
    j.end_object();
  }
  j.end_array().end_object();
  fmt::print("{}\n", j.str());
}

}  // namespace

int cmd_devices(const Args& in) {
  Args args = in;
  const bool json = take_flag(args, "--json");
  if (!args.empty()) {
    fmt::print(stderr, "vknn devices: unexpected argument '{}'\n", args[0]);
    return 2;
  }
  auto devices = enumerate_devices();
  if (!devices.ok()) {
    fmt::print(stderr, "vknn devices: {}\n", devices.error().what());
    if (json) fmt::print("{{\"devices\":[],\"error\":{}}}\n", json_escape(devices.error().message));
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

}  // namespace vknn::tools
