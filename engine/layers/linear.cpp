#include "engine/layers/linear.hpp"

#include "engine/blas.hpp"
#include "engine/cpu_context.hpp"

namespace ftcnn {

Linear::Linear(LayerSpec spec) : Layer(std::move(spec)) {
  if (spec_.in_channels <= 0 || spec_.out_channels <= 0) fail("feature counts must be positive");
}

void Linear::declare_parameters(ParameterStore& store) {
  const LayerSpec& s = spec_;
  weight_ = store.add(s.name + ".weight", s.name, ParamKind::weight, Shape{s.out_channels, s.in_channels});
  if (s.bias) bias_ = store.add(s.name + ".bias", s.name, ParamKind::bias, Shape{s.out_channels});
}

Shape Linear::output_shape(const Shape& input) const {
  if (input.rank() < 2 || input.per_item() != spec_.in_channels) {
    fail(fmt::format("expects input [N, {}], got {}", spec_.in_channels, input.str()));
  }
  return Shape{input[0], spec_.out_channels};
}

int64_t Linear::macs_per_item(const Shape& input) const {
  output_shape(input);
  return spec_.in_channels * spec_.out_channels;
}

void Linear::forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                         CpuContext&) {
  const int64_t batch = input[0], in_features = spec_.in_channels, out_features = spec_.out_channels;
  float beta = 0.0f;
  if (bias_ >= 0) {
    // Start from the bias in every row and accumulate the product onto it (beta = 1).
    const float* bias = params(bias_);
    for (int64_t n = 0; n < batch; ++n) std::copy(bias, bias + out_features, out + n * out_features);
    beta = 1.0f;
  }
  blas_sgemm(false, true, static_cast<int>(batch), static_cast<int>(out_features),
             static_cast<int>(in_features), 1.0f, in, static_cast<int>(in_features), params(weight_),
             static_cast<int>(in_features), beta, out, static_cast<int>(out_features));
}

}  // namespace ftcnn
