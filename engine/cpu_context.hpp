// What CPU layers run with: the thread count, the convolution backend with its oneDNN engine and stream
// where built, and a reusable scratch buffer (im2col columns, oneDNN's blocked tensors), so that no forward
// call allocates once the first batch has run.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace ftcnn {

// How conv2d runs on the CPU: im2col + OpenBLAS sgemm, or oneDNN's direct convolution
// (engine/layers/conv2d_onednn.hpp; builds with FTCNN_ONEDNN).
enum class CpuConvolution { im2col, onednn };

// "im2col" / "onednn".
const char* cpu_convolution_name(CpuConvolution convolution);
// True when this build has the oneDNN convolution.
bool onednn_compiled();
// FTCNN_CPU_CONV (im2col or onednn), else oneDNN where built; throws naming the variable for another value
// or for onednn in a build without it.
CpuConvolution cpu_convolution_from_environment();

// How linear runs on the CPU: ftcnn's fixed-order kernel (engine/linear_kernel.hpp: every output one fused
// multiply-add chain, whatever the batch or rows; what campaigns need to recompute only the rows a fault
// touched), or OpenBLAS's sgemm (the arithmetic of earlier versions, kept to reproduce their outputs).
enum class CpuLinear { ordered, blas };

// "ordered" / "blas".
const char* cpu_linear_name(CpuLinear linear);
// FTCNN_CPU_LINEAR (ordered or blas), else ordered; throws naming the variable for another value.
CpuLinear cpu_linear_from_environment();

// Whether the CPU runner fuses a correction layer (edac, tmr_vote) with the BatchNorm2d and ReLU after it,
// and a BatchNorm2d with the ReLU after it (Graph::prepare's `fuse`; the same bits either way):
// FTCNN_CPU_FUSE 1 (default) or 0; throws naming the variable for another value.
bool cpu_fusion_from_environment();

struct OneDnnHandles;  // the oneDNN engine and stream (engine/layers/conv2d_onednn.hpp)

class CpuContext {
 public:
  // threads <= 0 means all hardware threads. The thread count goes to OpenBLAS and to OpenMP (which
  // oneDNN's Debian build and our own loops run on).
  explicit CpuContext(int threads = 0, CpuConvolution convolution = cpu_convolution_from_environment(),
                      CpuLinear linear = cpu_linear_from_environment());
  ~CpuContext();
  CpuContext(const CpuContext&) = delete;
  CpuContext& operator=(const CpuContext&) = delete;
  int threads() const { return threads_; }
  CpuConvolution convolution() const { return convolution_; }
  CpuLinear linear() const { return linear_; }
  // At least `count` floats, valid until the next call.
  float* scratch(size_t count);
  // The oneDNN engine and stream; only with CpuConvolution::onednn.
  OneDnnHandles& onednn();

 private:
  int threads_;
  CpuConvolution convolution_;
  CpuLinear linear_;
  std::vector<float> scratch_;
  std::unique_ptr<OneDnnHandles> onednn_;
};

}  // namespace ftcnn
