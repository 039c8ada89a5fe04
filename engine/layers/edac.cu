// edac on CUDA: one kernel (kernels/edac.cuh) applying the same per-element rules as the CPU body. The
// per-channel copy table is uploaded once per prepare; the bounds are read from the parameter arena on every
// call, so a flipped bound acts at once. When the graph fused the BatchNorm2d / ReLU that follow, the same
// kernel applies them too (correction_epilogue.cuh), their parameters also read from the arena every call.
#include <memory>

#include "engine/cuda/cuda_context.hpp"
#include "engine/layers/correction_epilogue.cuh"
#include "engine/layers/edac.hpp"
#include "kernels/edac.cuh"

namespace ftcnn {
namespace {

struct EdacCudaState final : LayerCudaState {
  DeviceBuffer<int32_t> copy_index;
};

}  // namespace

std::unique_ptr<LayerCudaState> Edac::prepare_cuda(const Shape&, CudaContext& ctx, const ExecContext&) const {
  try {
    auto state = std::make_unique<EdacCudaState>();
    state->copy_index.resize(copy_index_.size());
    FT_CUDA_CHECK(cudaMemcpyAsync(state->copy_index.data(), copy_index_.data(),
                                  copy_index_.size() * sizeof(int32_t), cudaMemcpyHostToDevice,
                                  ctx.stream()));
    ctx.synchronize();  // the host table must outlive the copy; prepare may wait
    return state;
  } catch (const Error& e) {
    fail(e.what());
  }
}

void Edac::forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                        CudaContext& ctx) {
  const Shape& input = plan.input;
  const auto* state = dynamic_cast<const EdacCudaState*>(plan.cuda.get());
  if (state == nullptr) fail("forward_cuda before prepare_cuda");
  const bool intervals = with_intervals();
  kernels::launch_edac(in, out, intervals ? params(lower_) : nullptr, intervals ? params(upper_) : nullptr,
                       state->copy_index.data(), intervals, input[0], attributes().out_channels,
                       static_cast<int64_t>(attributes().copied.size()),
                       input.per_item() / attributes().in_channels, kernel_epilogue(plan.epilogue, params),
                       ctx.stream());
  FT_LAUNCH_CHECK(correction_kernel_name("edac", name(), plan.epilogue));
}

}  // namespace ftcnn
