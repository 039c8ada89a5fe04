#include "app/devices_command.hpp"

#include <fmt/format.h>

#include <memory>

#include "app/cli_common.hpp"
#include "engine/device.hpp"

namespace ftcnn::cli {
namespace {

struct DevicesOptions {
  bool count = false;
  bool json = false;
};

void run_devices(const DevicesOptions& options) {
  const int gpus = cuda_device_count();
  if (options.count) {
    fmt::print("{}\n", gpus);
    return;
  }
  if (options.json) {
    print_json(
        {{"command", "devices"}, {"cuda_compiled", cuda_compiled()}, {"gpus", gpus}, {"version", version()}});
    return;
  }
  fmt::print("ftcnn {}: cpu backend; cuda backend {}; {} GPU(s) visible\n", version(),
             cuda_compiled() ? "compiled" : "not compiled", gpus);
}

}  // namespace

void register_devices_command(CLI::App& app) {
  auto options = std::make_shared<DevicesOptions>();
  CLI::App* command = app.add_subcommand("devices", "Show the backends of this build and the GPUs present");
  command->add_flag("--count", options->count, "print only the number of usable GPUs");
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->callback([options] { run_devices(*options); });
}

}  // namespace ftcnn::cli
