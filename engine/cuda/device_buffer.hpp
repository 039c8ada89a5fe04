// Move-only owner of a device allocation of `count` elements of T. A failed allocation throws naming the
// bytes asked for and the device's free and total memory, and leaves no CUDA error behind.
#pragma once

#include <cstddef>
#include <string>
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
    const size_t bytes = count * sizeof(T);
    const cudaError_t status = cudaMalloc(&p, bytes);
    if (status != cudaSuccess) {
      // cudaErrorMemoryAllocation is not sticky, but it stays the "last error" until read: clear it, or the
      // next FT_LAUNCH_CHECK would blame an innocent kernel for it.
      cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      const bool known = cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess;
      cudaGetLastError();
      FT_THROW("cudaMalloc of {} bytes ({:.1f} MiB) failed: {}{}", bytes, bytes / 1048576.0,
               cudaGetErrorString(status),
               known ? fmt::format(" ({:.1f} MiB free of {:.1f} MiB on the device)", free_bytes / 1048576.0,
                                   total_bytes / 1048576.0)
                     : std::string());
    }
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
