// What CPU layers run with: the thread count and a reusable scratch buffer (im2col columns), so that no
// forward call allocates once the first batch has run.
#pragma once

#include <cstddef>
#include <vector>

namespace ftcnn {

class CpuContext {
 public:
  // threads <= 0 means all hardware threads.
  explicit CpuContext(int threads = 0);
  int threads() const { return threads_; }
  // At least `count` floats, valid until the next call.
  float* scratch(size_t count);

 private:
  int threads_;
  std::vector<float> scratch_;
};

}  // namespace ftcnn
