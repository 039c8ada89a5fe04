// Move-only owner of a device allocation of `count` elements of T.
#pragma once

#include <cstddef>
#include <utility>

#include "engine/cuda/cuda_check.hpp"

namespace ftcnn {

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) { resize(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }

  // Reallocates (contents lost) when `count` exceeds the current size.
  void resize(size_t count) {
    if (count <= count_) return;
    release();
    void* p = nullptr;
    FT_CUDA_CHECK(cudaMalloc(&p, count * sizeof(T)));
    data_ = static_cast<T*>(p);
    count_ = count;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return count_; }

 private:
  void release() noexcept {
    if (data_ != nullptr) {
      const cudaError_t status = cudaFree(data_);
      if (status != cudaSuccess) report_in_destructor(__FILE__, __LINE__, cudaGetErrorString(status));
    }
    data_ = nullptr;
    count_ = 0;
  }

  T* data_ = nullptr;
  size_t count_ = 0;
};

}  // namespace ftcnn
