// `ftcnn info --model M [--arch A] [--json]`: per layer output shape, parameters and MACs, and totals.
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_info_command(CLI::App& app);

}  // namespace ftcnn::cli
