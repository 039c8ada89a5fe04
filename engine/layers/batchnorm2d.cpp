#include "engine/layers/batchnorm2d.hpp"

#include <nlohmann/json.hpp>

#include "engine/cpu_context.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/fused_epilogue.hpp"
#include "kernels/batchnorm_rules.hpp"

namespace ftcnn {

void BatchNorm2d::read_attributes(const nlohmann::json& j, LayerSpec& spec) {
  BatchNorm2dAttributes& a = spec.set_attrs<BatchNorm2dAttributes>();
  attributes::read_channels(j, a);
  a.eps = j.at("eps").get<double>();
}

void BatchNorm2d::write_attributes(const LayerSpec& spec, nlohmann::json& j) {
  const BatchNorm2dAttributes& a = spec.attrs<BatchNorm2dAttributes>();
  attributes::write_channels(a, j);
  j["eps"] = a.eps;
}

BatchNorm2d::BatchNorm2d(LayerSpec spec) : Layer(std::move(spec)) {
  if (attributes().in_channels <= 0 || attributes().in_channels != attributes().out_channels)
    fail("needs a positive channel count");
  if (!(attributes().eps > 0.0)) fail("eps must be positive");
}

void BatchNorm2d::declare_parameters(ParameterStore& store) {
  const std::string& n = spec_.name;
  const Shape shape{attributes().in_channels};
  gamma_ = store.add(n + ".weight", n, ParamKind::bn_weight, shape);
  beta_ = store.add(n + ".bias", n, ParamKind::bn_bias, shape);
  mean_ = store.add(n + ".running_mean", n, ParamKind::bn_running_mean, shape);
  var_ = store.add(n + ".running_var", n, ParamKind::bn_running_var, shape);
}

Shape BatchNorm2d::output_shape(const Shape& input) const {
  if (input.rank() != 4 || input[1] != attributes().in_channels) {
    fail(fmt::format("expects input [N, {}, H, W], got {}", attributes().in_channels, input.str()));
  }
  return input;
}

bool BatchNorm2d::join_epilogue(FusedEpilogue& epilogue, const Shape& input) const {
  if (!epilogue.empty() || input.rank() != 4 || input[1] != attributes().in_channels) return false;
  epilogue.bn_weight = gamma_;
  epilogue.bn_bias = beta_;
  epilogue.bn_mean = mean_;
  epilogue.bn_var = var_;
  epilogue.bn_eps = attributes().eps;
  epilogue.layers.push_back(spec_.name);
  return true;
}

void BatchNorm2d::forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                              CpuContext& ctx) {
  normalize(input, params, in, out, kernels::CorrectionEpilogue{}, ctx);
}

void BatchNorm2d::forward_cpu_fused(const LayerPlan& plan, const ParameterView& params, const float* in,
                                    float* out, CpuContext& ctx) {
  normalize(plan.input, params, in, out, kernel_epilogue(plan.epilogue, params), ctx);
}

void BatchNorm2d::normalize(const Shape& input, const ParameterView& params, const float* in, float* out,
                            const kernels::CorrectionEpilogue& epilogue, CpuContext& ctx) const {
  const bool fused = has_epilogue(epilogue);
  const int64_t batch = input[0], channels = input[1], plane = input[2] * input[3];
  const float *gamma = params(gamma_), *beta = params(beta_), *mean = params(mean_), *var = params(var_);
#pragma omp parallel for collapse(2) num_threads(ctx.threads()) schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      // As PyTorch's CPU kernel: scale = gamma / sqrt(var + eps) in double, shift = beta - mean * scale,
      // out = in * scale + shift; the functions the CUDA kernels call (kernels/batchnorm_rules.hpp).
      const kernels::BatchnormChannel bn =
          kernels::batchnorm_channel(gamma[c], beta[c], mean[c], var[c], attributes().eps);
      const float* src = in + (n * channels + c) * plane;
      float* dst = out + (n * channels + c) * plane;
      for (int64_t p = 0; p < plane; ++p) dst[p] = kernels::batchnorm_apply(src[p], bn.scale, bn.shift);
      if (fused) apply_channel_epilogue(epilogue, c, dst, plane);  // the absorbed ReLU, in cache
    }
  }
}

}  // namespace ftcnn
