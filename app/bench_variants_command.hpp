// `ftcnn bench-variants --model BASE --variant FILE [--variant FILE ...] --data D [--device cpu|cuda]
// [--batch 1000] [--warmup 2] [--repeats 5] [--images N] [--threads N] [--json]`: the execution time of
// model variants (hardened, pruned, ...) as ratios to a baseline measured in the same process
// (docs/performance.md, "Variants").
//
// Every model is loaded at once, each with its own preprocessed inputs on its device. Rounds interleave the
// models: in round r every model classifies all images once, in an order rotated by r, so a drift of the
// machine (clocks, temperature, other work) falls on all of them alike. `--warmup` untimed rounds, then
// `--repeats` timed ones. Per variant: median milliseconds, the ratio of its median to the baseline's, the
// median of the per-round ratios, parameters and MACs against the baseline, its top-1 accuracy, and how
// many images its fault-free top-1 differs from the baseline's (hardening must leave it at 0).
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_bench_variants_command(CLI::App& app);

}  // namespace ftcnn::cli
