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

std::string Layer::reverse_refusal() const {
  return fmt::format("layer {} ({}): the vulnerability reverse pass does not support this layer", name(),
                     layer_type_name(type()));
}

WindowSpec Layer::window_spec(const Shape& /*input*/) const {
  fail("has no window");
}

Shape Layer::node_output_shape(const std::vector<Shape>& inputs) const {
  if (inputs.size() != 1) fail(fmt::format("takes one input, given {}", inputs.size()));
  return output_shape(inputs.front());
}

std::unique_ptr<LayerPlan> Layer::prepare(const ExecContext& ctx, const Shape& input,
                                          const FusedEpilogue& epilogue) const {
  return prepare(ctx, std::vector<Shape>{input}, epilogue);
}

std::unique_ptr<LayerPlan> Layer::prepare(const ExecContext& ctx, const std::vector<Shape>& inputs,
                                          const FusedEpilogue& epilogue) const {
  node_output_shape(inputs);  // validates
  const Shape& input = inputs.front();
  if (!epilogue.empty() && !accepts_epilogue(ctx.device)) {
    fail(fmt::format("cannot run the following layers fused on {}", device_name(ctx.device)));
  }
  auto plan = std::make_unique<LayerPlan>();
  plan->input = input;
  plan->inputs = inputs;
  plan->device = ctx.device;
  plan->epilogue = epilogue;
  if (ctx.device == Device::cuda) {
    if (ctx.cuda == nullptr) fail("prepared for cuda without a CUDA context");
    plan->cuda = prepare_cuda(input, *ctx.cuda, ctx);
  } else if (ctx.cpu == nullptr) {
    fail("prepared for cpu without a CPU context");
  } else {
    plan->cpu = prepare_cpu(input, *ctx.cpu);
  }
  return plan;
}

void Layer::forward(const ExecContext& ctx, const LayerPlan& plan, const ParameterView& params,
                    const float* in, float* out) {
  if (plan.device != ctx.device) {
    fail(fmt::format("forward on {} with a plan for {}", device_name(ctx.device), device_name(plan.device)));
  }
  switch (ctx.device) {
    case Device::cpu:
      if (plan.cpu) {
        forward_cpu_prepared(plan, params, in, out, *ctx.cpu);
      } else if (!plan.epilogue.empty()) {
        forward_cpu_fused(plan, params, in, out, *ctx.cpu);
      } else {
        forward_cpu(plan.input, params, in, out, *ctx.cpu);
      }
      return;
    case Device::cuda:
      forward_cuda(plan, params, in, out, *ctx.cuda);
      return;
  }
}

void Layer::forward(const ExecContext& ctx, const LayerPlan& plan, const ParameterView& params,
                    const std::vector<const float*>& in, float* out) {
  if (!joins_inputs()) {
    if (in.size() != 1) fail(fmt::format("takes one input, given {}", in.size()));
    forward(ctx, plan, params, in.front(), out);
    return;
  }
  if (plan.device != ctx.device) {
    fail(fmt::format("forward on {} with a plan for {}", device_name(ctx.device), device_name(plan.device)));
  }
  if (in.size() != plan.inputs.size())
    fail(fmt::format("planned for {} inputs, given {}", plan.inputs.size(), in.size()));
  switch (ctx.device) {
    case Device::cpu:
      join_cpu(plan.inputs, in, out, *ctx.cpu);
      return;
    case Device::cuda:
      join_cuda(plan, in, out, *ctx.cuda);
      return;
  }
}

void Layer::join_cpu(const std::vector<Shape>&, const std::vector<const float*>&, float*, CpuContext&) {
  fail("is not a join");
}

void Layer::join_cuda(const LayerPlan&, const std::vector<const float*>&, float*, CudaContext&) {
  fail(cuda_compiled() ? "has no CUDA implementation" : "this build of ftcnn has no CUDA backend");
}

std::unique_ptr<LayerCpuState> Layer::prepare_cpu(const Shape&, CpuContext&) const {
  return nullptr;
}

void Layer::forward_cpu_prepared(const LayerPlan&, const ParameterView&, const float*, float*, CpuContext&) {
  fail("has no CPU state to run");
}

void Layer::forward_cpu_fused(const LayerPlan&, const ParameterView&, const float*, float*, CpuContext&) {
  fail("cannot run the following layers fused");
}

std::unique_ptr<LayerCudaState> Layer::prepare_cuda(const Shape&, CudaContext&, const ExecContext&) const {
  return nullptr;
}

void Layer::forward_cuda(const LayerPlan&, const ParameterView&, const float*, float*, CudaContext&) {
  fail(cuda_compiled() ? "has no CUDA implementation" : "this build of ftcnn has no CUDA backend");
}

void Layer::fail(const std::string& message) const {
  throw Error(fmt::format("layer {} ({}): {}", spec_.name, layer_type_name(spec_.type), message));
}

std::string algorithm_key(const std::string& layer, const Shape& input) {
  return layer + " " + input.str();
}

}  // namespace ftcnn
