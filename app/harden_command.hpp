// `ftcnn harden --model M --ratio R --mode edac|dup-only|tmr [--intervals INTERVALS.h5]
// (--ranking RANKING.h5 | --ranking-method l1|random [--seed S]) --out HARDENED.h5 [--json]`: writes the
// hardened model (docs/hardening.md): the top ceil(R x C) channels of every conv2d / linear layer copied
// (all of them in the output layer), each such layer followed by an edac or tmr_vote layer. --intervals
// (from `ftcnn profile`) is required by mode edac. The hardening is recorded in the file's provenance.
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_harden_command(CLI::App& app);

}  // namespace ftcnn::cli
