// `ftcnn prune --model M [--arch A] --conv-ratio a --fc-ratio b (--importance exact|batch|l1|random |
// --scores V.h5) [--data DIR --split train|test --images N --batch B] [--seed S] [--scope layer|global]
// [--threads N] --out PRUNED.h5 [--json]`: writes the structurally pruned model (docs/pruning.md): the
// lowest-scored output channels of every conv2d layer (share a) and linear layer (share b) removed, the
// classifier's output layer excepted, with the BatchNorm entries and next-layer inputs that depend on them.
// Scores come from the engine's Eq. (1) code (exact, batch: on images of --data), the L1 norm, a seeded
// random number, or a file written by `ftcnn vuln --out`. The removed channels are recorded in the file's
// provenance.
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_prune_command(CLI::App& app);

}  // namespace ftcnn::cli
