// Whether this binary carries code the current CUDA device can run: sm_XY machine code for its compute
// capability, or PTX the driver can compile for it. Without one, the first kernel launch fails with
// cudaErrorNoKernelImageForDevice deep inside a layer; CudaContext asks this first and names the fix.
#pragma once

#include <string>

namespace ftcnn {

// Probes CUDA device `device` (made current on the calling thread) with a tiny kernel. Returns "" when the
// binary can run on it, else one line naming the device, its sm_XY, the architectures compiled
// (`architectures`, CMake's list) and the fix (-DCMAKE_CUDA_ARCHITECTURES=XY). Clears the error it caused.
// Throws ftcnn::Error on any other CUDA failure.
std::string kernel_image_problem(int device, const std::string& architectures);

}  // namespace ftcnn
