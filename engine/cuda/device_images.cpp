#include "engine/cuda/device_images.hpp"

#include "engine/cuda/cuda_check.hpp"

namespace ftcnn {

DeviceBuffer<float> upload_images(const Dataset& data, float scale, const std::vector<float>& mean,
                                  const std::vector<float>& std, cudaStream_t stream) {
  std::vector<float> host(static_cast<size_t>(data.count * data.item.numel()));
  preprocess_images(data, 0, data.count, scale, mean, std, host.data());
  DeviceBuffer<float> images(host.size());
  if (!host.empty()) {
    FT_CUDA_CHECK(cudaMemcpyAsync(images.data(), host.data(), host.size() * sizeof(float),
                                  cudaMemcpyHostToDevice, stream));
  }
  FT_CUDA_CHECK(cudaStreamSynchronize(stream));  // `host` leaves scope
  return images;
}

}  // namespace ftcnn
