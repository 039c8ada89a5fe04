// Classification on the device: top-1 per row of logits and the comparison with the golden predictions, so
// that a campaign repetition needs no host round trip but its four final counters.
// A row with any NaN or Inf logit has no prediction (-1), exactly as top1() in engine/evaluate.hpp; ties
// go to the lowest index.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/classify_bodies.hpp"  // OutcomeCounter, the per-row rules

namespace ftcnn::kernels {

// predictions[i] = top-1 of logits row i (rows x classes), or -1 for a non-finite row.
void launch_top1(const float* logits, int64_t rows, int64_t classes, int32_t* predictions,
                 cudaStream_t stream);

// For rows i: adds to counters[kCorrect] when top-1 == labels[i]; to kMasked when it equals golden[i], kSdc
// when it differs with finite logits, kDue when the row has a NaN or Inf.
void launch_compare_with_golden(const float* logits, int64_t rows, int64_t classes, const int32_t* golden,
                                const int32_t* labels, unsigned long long* counters, cudaStream_t stream);

}  // namespace ftcnn::kernels
