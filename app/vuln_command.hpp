// `ftcnn vuln --model M [--data D] [--split train|test] [--images N] [--method exact|batch|l1|random]
// [--seed S] [--batch B] [--threads N] [--out F.h5] [--csv F.csv] [--json]`: per-channel vulnerability
// (Eq. 1) of every conv2d and linear layer, with rankings (docs/vulnerability.md).
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_vuln_command(CLI::App& app);

}  // namespace ftcnn::cli
