// The one loop over a set of items in batches, for every whole-set pass (evaluation, profiling, campaign
// repetitions, benchmarks, Eq. (1) recording): fn(first, count) for consecutive [first, first + count)
// covering [0, total), every count `batch` but the last, which may be shorter.
#pragma once

#include <algorithm>
#include <cstdint>

#include "engine/error.hpp"

namespace ftcnn {

template <typename Fn>
void for_each_batch(int64_t total, int64_t batch, Fn&& fn) {
  FT_CHECK(batch > 0, "batch size must be positive, got {}", batch);
  for (int64_t first = 0; first < total; first += batch) fn(first, std::min(batch, total - first));
}

}  // namespace ftcnn
