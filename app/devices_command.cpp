#include "app/devices_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "app/cli_common.hpp"
#include "engine/cuda/cuda_versions.hpp"
#include "engine/device.hpp"

namespace ftcnn::cli {
namespace {

struct DevicesOptions {
  bool count = false;
  bool json = false;
};

// Every field of the status: `reason` is the line a user reads (empty when a GPU can be used), `cuda_error`
// the runtime's own string when the device query failed; the cuDNN and cuBLAS versions loaded and compiled
// with ("" in a CPU-only build).
nlohmann::json status_json(const CudaStatus& status, const CudaVersions& versions) {
  nlohmann::json devices = nlohmann::json::array();
  for (const CudaDeviceInfo& d : status.devices) {
    devices.push_back({{"index", d.index},
                       {"name", d.name},
                       {"compute_capability", fmt::format("{}.{}", d.major, d.minor)},
                       {"sm", fmt::format("sm_{}{}", d.major, d.minor)},
                       {"memory_bytes", d.memory_bytes},
                       {"kernel_image", d.kernel_image_problem.empty()},
                       {"kernel_image_problem", d.kernel_image_problem}});
  }
  return {{"command", "devices"},
          {"cuda_compiled", status.compiled},
          {"gpus", status.count},
          {"reason", status.reason()},
          {"cuda_error", status.error},
          {"no_device", status.no_device},
          {"driver_cuda", status.driver},
          {"runtime_cuda", status.runtime},
          {"cuda_architectures", status.architectures},
          {"cudnn", versions.cudnn},
          {"cudnn_compiled", versions.cudnn_compiled},
          {"cublas", versions.cublas},
          {"cublas_compiled", versions.cublas_compiled},
          {"devices", devices},
          {"version", version()}};
}

void run_devices(const DevicesOptions& options) {
  if (options.count) {
    // A number on stdout for scripts, always; why it is 0 goes to stderr.
    const CudaStatus status = cuda_status();
    fmt::print("{}\n", status.count);
    if (status.count == 0) fmt::print(stderr, "ftcnn devices: {}\n", status.reason());
    return;
  }
  const CudaStatus status = cuda_status(true);
  if (options.json) {
    print_json(status_json(status, cuda_versions()));
    return;
  }
  if (!status.compiled) {
    fmt::print("ftcnn {}: cpu backend; cuda backend not compiled; 0 GPU(s) visible\n", version());
    return;
  }
  fmt::print(
      "ftcnn {}: cpu backend; cuda backend compiled (CUDA architectures {}; {}, runtime {}); {} GPU(s) "
      "visible\n",
      version(), status.architectures,
      status.driver.empty() ? "no NVIDIA driver" : "driver supports CUDA " + status.driver,
      status.runtime.empty() ? "?" : status.runtime, status.count);
  // The libraries loaded, against the headers compiled with: a cuDNN older than its headers may lack what
  // the build uses.
  const CudaVersions versions = cuda_versions();
  fmt::print("cuDNN {} (compiled with {}), cuBLAS {} (compiled with {})\n", versions.cudnn,
             versions.cudnn_compiled, versions.cublas, versions.cublas_compiled);
  if (status.count == 0) fmt::print("{}\n", status.reason());
  for (const CudaDeviceInfo& d : status.devices) {
    fmt::print("cuda:{} {} (sm_{}{}, {:.1f} GiB): {}\n", d.index, d.name, d.major, d.minor,
               d.memory_bytes / 1073741824.0,
               d.kernel_image_problem.empty() ? "usable" : d.kernel_image_problem);
  }
}

}  // namespace

void register_devices_command(CLI::App& app) {
  auto options = std::make_shared<DevicesOptions>();
  CLI::App* command = app.add_subcommand("devices", "Show the backends of this build and the GPUs present");
  command->add_flag("--count", options->count,
                    "print only the number of usable GPUs (the reason for 0 on stderr)");
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->callback([options] { run_devices(*options); });
}

}  // namespace ftcnn::cli
