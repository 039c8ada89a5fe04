// `ftcnn devices [--count] [--json]`: which backends this build has and which GPUs this machine has.
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_devices_command(CLI::App& app);

}  // namespace ftcnn::cli
