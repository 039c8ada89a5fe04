// `ftcnn bench --model M --data D [--device cpu|cuda] [--batch 1000[,256,...]] [--warmup 2] [--repeats 5]
// [--images N] [--threads N] [--campaign-reps R --ber B [--count paper|binomial] [--seed S]] [--json]`:
// the performance harness (docs/performance.md).
//
// Inference: the first N test images are preprocessed once and kept where the device reads them (host
// memory for the CPU, one device buffer for CUDA); each timed run classifies all N in batches, logits into
// one buffer, no transfers. `--warmup` untimed runs, then `--repeats` timed runs (CUDA events on the
// runner's stream; a steady clock on the CPU): median, min and max milliseconds for the whole set.
// Campaign (--campaign-reps R > 0): the repetition of `ftcnn campaign` (make_fault_evaluator +
// run_repetition) without its files: R timed repetitions at --ber, each followed by a timed repetition with
// zero faults (evaluation alone), after one warm-up of each; the injection + restore overhead is the ratio
// of their medians minus one.
#pragma once

#include <CLI/CLI.hpp>

namespace ftcnn::cli {

void register_bench_command(CLI::App& app);

}  // namespace ftcnn::cli
