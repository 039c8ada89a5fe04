// Where a model runs, and what this build and machine offer.
#pragma once

#include <string>

namespace ftcnn {

enum class Device { cpu, cuda };

const char* device_name(Device device);
// Throws naming the text when it is neither "cpu" nor "cuda".
Device parse_device(const std::string& text);

// True when this build contains the CUDA backend.
bool cuda_compiled();
// Number of usable CUDA devices; 0 in a CPU-only build or on a machine without a GPU (never throws).
int cuda_device_count();

}  // namespace ftcnn
