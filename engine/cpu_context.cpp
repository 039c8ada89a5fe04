#include "engine/cpu_context.hpp"

#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "engine/blas.hpp"
#include "engine/error.hpp"
#include "engine/layers/conv2d_onednn.hpp"
#include "engine/layers/onednn_handles.hpp"

namespace ftcnn {

const char* cpu_convolution_name(CpuConvolution convolution) {
  switch (convolution) {
    case CpuConvolution::im2col:
      return "im2col";
    case CpuConvolution::onednn:
      return "onednn";
  }
  return "?";
}

bool onednn_compiled() {
#ifdef FTCNN_WITH_ONEDNN
  return true;
#else
  return false;
#endif
}

CpuConvolution cpu_convolution_from_environment() {
  const char* value = std::getenv("FTCNN_CPU_CONV");
  if (value == nullptr || *value == '\0')
    return onednn_compiled() ? CpuConvolution::onednn : CpuConvolution::im2col;
  if (std::strcmp(value, "im2col") == 0) return CpuConvolution::im2col;
  FT_CHECK(std::strcmp(value, "onednn") == 0,
           "environment variable FTCNN_CPU_CONV is '{}'; expected im2col or onednn", value);
  FT_CHECK(onednn_compiled(),
           "environment variable FTCNN_CPU_CONV is 'onednn', but this build of ftcnn has no oneDNN "
           "(configure with -DFTCNN_ONEDNN=ON; scripts/install_deps.sh installs libdnnl-dev)");
  return CpuConvolution::onednn;
}

const char* cpu_linear_name(CpuLinear linear) {
  switch (linear) {
    case CpuLinear::ordered:
      return "ordered";
    case CpuLinear::blas:
      return "blas";
  }
  return "?";
}

CpuLinear cpu_linear_from_environment() {
  const char* value = std::getenv("FTCNN_CPU_LINEAR");
  if (value == nullptr || *value == '\0' || std::strcmp(value, "ordered") == 0) return CpuLinear::ordered;
  FT_CHECK(std::strcmp(value, "blas") == 0,
           "environment variable FTCNN_CPU_LINEAR is '{}'; expected ordered or blas", value);
  return CpuLinear::blas;
}

bool cpu_fusion_from_environment() {
  const char* value = std::getenv("FTCNN_CPU_FUSE");
  if (value == nullptr || *value == '\0' || std::strcmp(value, "1") == 0) return true;
  FT_CHECK(std::strcmp(value, "0") == 0, "environment variable FTCNN_CPU_FUSE is '{}'; expected 1 or 0",
           value);
  return false;
}

CpuContext::CpuContext(int threads, CpuConvolution convolution, CpuLinear linear)
    : threads_(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency())),
      convolution_(convolution),
      linear_(linear) {
  if (threads_ <= 0) threads_ = 1;
  blas_set_threads(threads_);
  // oneDNN's OpenMP build sizes its parallel regions (and plans its work split when a primitive is made)
  // by omp_get_max_threads(); conv2d_onednn.cpp sets it again before every call, for contexts of another
  // thread count in the same thread.
  omp_set_num_threads(threads_);
  if (convolution_ == CpuConvolution::onednn) onednn_ = make_onednn_handles();
}

CpuContext::~CpuContext() = default;

float* CpuContext::scratch(size_t count) {
  if (scratch_.size() < count) scratch_.resize(count);
  return scratch_.data();
}

OneDnnHandles& CpuContext::onednn() {
  FT_CHECK(onednn_ != nullptr, "this CPU context runs convolutions as {}, not oneDNN",
           cpu_convolution_name(convolution_));
  return *onednn_;
}

}  // namespace ftcnn
