#include "engine/layers/linear.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "engine/blas.hpp"
#include "engine/cpu_context.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/linear_kernel.hpp"

namespace ftcnn {

void Linear::read_attributes(const nlohmann::json& j, LayerSpec& spec) {
  LinearAttributes& a = spec.set_attrs<LinearAttributes>();
  attributes::read_channels(j, a);
  a.bias = attributes::read_bias(j);
}

void Linear::write_attributes(const LayerSpec& spec, nlohmann::json& j) {
  const LinearAttributes& a = spec.attrs<LinearAttributes>();
  attributes::write_channels(a, j);
  j["bias"] = a.bias;
}

Linear::Linear(LayerSpec spec) : Layer(std::move(spec)) {
  if (attributes().in_channels <= 0 || attributes().out_channels <= 0)
    fail("feature counts must be positive");
}

void Linear::declare_parameters(ParameterStore& store) {
  const LinearAttributes& s = attributes();
  const std::string& n = spec_.name;
  weight_ = store.add(n + ".weight", n, ParamKind::weight, Shape{s.out_channels, s.in_channels});
  if (s.bias) bias_ = store.add(n + ".bias", n, ParamKind::bias, Shape{s.out_channels});
}

Shape Linear::output_shape(const Shape& input) const {
  if (input.rank() < 2 || input.per_item() != attributes().in_channels) {
    fail(fmt::format("expects input [N, {}], got {}", attributes().in_channels, input.str()));
  }
  return Shape{input[0], attributes().out_channels};
}

int64_t Linear::macs_per_item(const Shape& input) const {
  output_shape(input);
  return attributes().in_channels * attributes().out_channels;
}

void Linear::forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                         CpuContext& ctx) {
  const int64_t batch = input[0], in_features = attributes().in_channels,
                out_features = attributes().out_channels;
  const float* weight = params(weight_);
  const float* bias = bias_ >= 0 ? params(bias_) : nullptr;
  if (ctx.linear() == CpuLinear::ordered) {
    // Every output is one fused multiply-add chain in a fixed order (engine/linear_kernel.hpp), so a
    // hardened layer's copies equal their originals without the row groups sgemm needs.
    float* scratch =
        ctx.scratch(static_cast<size_t>(linear_scratch_floats(batch, in_features, out_features)));
    linear_forward(in, batch, in_features, weight, bias, LinearRows{nullptr, out_features}, out, out_features,
                   ctx.threads(), scratch);
    return;
  }
  if (copy_rows_.groups.empty()) {
    float beta = 0.0f;
    if (bias != nullptr) {
      // Start from the bias in every row and accumulate the product onto it (beta = 1).
      for (int64_t n = 0; n < batch; ++n) std::copy(bias, bias + out_features, out + n * out_features);
      beta = 1.0f;
    }
    blas_sgemm(false, true, static_cast<int>(batch), static_cast<int>(out_features),
               static_cast<int>(in_features), 1.0f, in, static_cast<int>(in_features), weight,
               static_cast<int>(in_features), beta, out, static_cast<int>(out_features));
    return;
  }
  // Hardened, with sgemm: one GEMM per group of rows (copy_rows.hpp), each from the bias of its own features
  // as above, into a [batch, group] block of the scratch, then scattered to the features' columns (padding
  // dropped).
  const auto m = static_cast<int64_t>(copy_rows_.groups[0].size());  // every group has this size
  float* scratch = ctx.scratch(static_cast<size_t>(batch * m + m * in_features));
  float* gathered = scratch + batch * m;
  float* block = scratch;
  for (const std::vector<int64_t>& rows : copy_rows_.groups) {
    const float* b = rows_of(weight, rows, in_features, gathered);
    float beta = 0.0f;
    if (bias != nullptr) {
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t i = 0; i < m; ++i) block[n * m + i] = rows[i] < 0 ? 0.0f : bias[rows[i]];
      }
      beta = 1.0f;
    }
    blas_sgemm(false, true, static_cast<int>(batch), static_cast<int>(m), static_cast<int>(in_features), 1.0f,
               in, static_cast<int>(in_features), b, static_cast<int>(in_features), beta, block,
               static_cast<int>(m));
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t i = 0; i < m; ++i) {
        if (rows[i] >= 0) out[n * out_features + rows[i]] = block[n * m + i];
      }
    }
  }
}

}  // namespace ftcnn
