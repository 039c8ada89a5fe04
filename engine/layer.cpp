#include "engine/layer.hpp"

#include "engine/error.hpp"

namespace ftcnn {

Layer::Layer(LayerSpec spec) : spec_(std::move(spec)) {}

Layer::~Layer() = default;

void Layer::declare_parameters(ParameterStore&) {}

int64_t Layer::macs_per_item(const Shape&) const {
  return 0;
}

bool Layer::join_epilogue(FusedEpilogue&, const Shape&) const {
  return false;
}

void Layer::prepare(const ExecContext& ctx, const Shape& input, const FusedEpilogue& epilogue) {
  output_shape(input);  // validates
  prepared_ = false;
  epilogue_ = FusedEpilogue{};
  if (!epilogue.empty() && (ctx.device != Device::cuda || !accepts_epilogue())) {
    fail(fmt::format("cannot run the following layers fused on {}", device_name(ctx.device)));
  }
  if (ctx.device == Device::cuda) {
    if (ctx.cuda == nullptr) fail("prepared for cuda without a CUDA context");
    prepare_cuda(input, *ctx.cuda);
  } else if (ctx.cpu == nullptr) {
    fail("prepared for cpu without a CPU context");
  }
  epilogue_ = epilogue;
  prepared_input_ = input;
  prepared_device_ = ctx.device;
  prepared_ = true;
}

void Layer::forward(const ExecContext& ctx, const ParameterView& params, const Shape& input, const float* in,
                    float* out) {
  if (!prepared_ || prepared_device_ != ctx.device || prepared_input_ != input) {
    fail(fmt::format("forward on {} with input {} but prepared for {} with {}", device_name(ctx.device),
                     input.str(), device_name(prepared_device_),
                     prepared_ ? prepared_input_.str() : "nothing"));
  }
  switch (ctx.device) {
    case Device::cpu:
      forward_cpu(input, params, in, out, *ctx.cpu);
      return;
    case Device::cuda:
      forward_cuda(input, params, in, out, *ctx.cuda);
      return;
  }
}

void Layer::prepare_cuda(const Shape&, CudaContext&) {}

void Layer::forward_cuda(const Shape&, const ParameterView&, const float*, float*, CudaContext&) {
  fail(cuda_compiled() ? "has no CUDA implementation" : "this build of ftcnn has no CUDA backend");
}

void Layer::fail(const std::string& message) const {
  throw Error(fmt::format("layer {} ({}): {}", spec_.name, layer_type_name(spec_.type), message));
}

}  // namespace ftcnn
