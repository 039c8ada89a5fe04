// A dataset's images resident on the device: preprocessed on the host once and uploaded, for the whole-set
// passes that then run from device memory (campaign repetitions, benchmarks).
#pragma once

#include <cuda_runtime_api.h>

#include <vector>

#include "engine/cuda/device_buffer.hpp"
#include "engine/io/cifar_dataset.hpp"

namespace ftcnn {

// All `data.count` images as float NCHW (preprocess_images), on the device; returns once the upload is done.
DeviceBuffer<float> upload_images(const Dataset& data, float scale, const std::vector<float>& mean,
                                  const std::vector<float>& std, cudaStream_t stream);

}  // namespace ftcnn
