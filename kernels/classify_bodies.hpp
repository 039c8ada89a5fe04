// The per-row bodies of the classification kernels (kernels/classify.cu), host and device
// (kernels/host_device.hpp): top-1 of one row of logits and the outcome of that row against the golden
// prediction and the label. The same rules as top1() in engine/evaluate.cpp: a row with any NaN or Inf has
// no prediction (-1), ties go to the lowest index.
#pragma once

#include <cstdint>

#include "kernels/host_device.hpp"

namespace ftcnn::kernels {

// Indices into the counter array of launch_compare_with_golden.
enum OutcomeCounter { kCorrect = 0, kMasked = 1, kSdc = 2, kDue = 3, kOutcomeCounters = 4 };

// The index of the first largest logit, or -1 as soon as one is NaN or infinite. classes == 0 gives 0.
FT_KERNEL_HD int32_t row_top1(const float* row, int64_t classes) {
  int32_t best = 0;
  for (int64_t c = 0; c < classes; ++c) {
    if (!is_finite(row[c])) return -1;
    if (row[c] > row[best]) best = static_cast<int32_t>(c);
  }
  return best;
}

// What one row adds to the counters: kCorrect when `correct`, and always exactly one of kMasked (the
// golden prediction), kSdc (another finite prediction) or kDue (no prediction).
struct RowOutcome {
  bool correct = false;
  int counter = kDue;
};

FT_KERNEL_HD RowOutcome row_outcome(int32_t prediction, int32_t golden, int32_t label) {
  RowOutcome r;
  r.correct = prediction == label;
  r.counter = prediction < 0 ? kDue : (prediction == golden ? kMasked : kSdc);
  return r;
}

}  // namespace ftcnn::kernels
