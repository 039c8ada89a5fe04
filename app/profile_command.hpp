// `ftcnn profile --model M --data D [--split train|test] [--images N] --out INTERVALS.h5 [--batch N]
// [--threads N] [--json]`: the EDAC detection intervals of a plain model (docs/hardening.md): per conv2d /
// linear layer and output channel, the minimum and maximum output over the profiling images (the whole
// training split unless --images), written as datasets "<layer>/lower", "<layer>/upper".
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_profile_command(CLI::App& app);

}  // namespace ftcnn::cli
