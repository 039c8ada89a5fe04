#include "engine/cpu_context.hpp"

#include <thread>

#include "engine/blas.hpp"

namespace ftcnn {

CpuContext::CpuContext(int threads)
    : threads_(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency())) {
  if (threads_ <= 0) threads_ = 1;
  blas_set_threads(threads_);
}

float* CpuContext::scratch(size_t count) {
  if (scratch_.size() < count) scratch_.resize(count);
  return scratch_.data();
}

}  // namespace ftcnn
