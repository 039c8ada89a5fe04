// `ftcnn eval --model M --data D [--device cpu|cuda] [--batch N] [--limit N] [--threads N] [--logits F]
// [--json]`: top-1 accuracy over a CIFAR split and the throughput.
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_eval_command(CLI::App& app);

}  // namespace ftcnn::cli
