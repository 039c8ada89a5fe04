// linear: fully connected layer as nn.Linear.
//   input [N, in] (or any [N, ...] with `in` values per item) -> output [N, out]; y = x W^T + b.
//   parameters: "<name>.weight" [out, in], "<name>.bias" [out] when it has a bias.
// CPU: one OpenBLAS sgemm. CUDA: cuBLAS sgemm in strict fp32 (no TF32).
#pragma once

#include "engine/layer.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/copy_rows.hpp"

namespace ftcnn {

// The model-file fields of a linear layer: features in and out (as channels), bias.
struct LinearAttributes final : AttributesOf<LinearAttributes, ChannelAttributes> {
  bool bias = true;
};

class Linear final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::linear;
  static constexpr const char* kTypeName = "linear";
  using Attributes = LinearAttributes;
  // The model-file fields of this op (docs/model_format.md).
  static void read_attributes(const nlohmann::json& j, LayerSpec& spec);
  static void write_attributes(const LayerSpec& spec, nlohmann::json& j);
  explicit Linear(LayerSpec spec);
  const LinearAttributes& attributes() const { return spec_.attrs<LinearAttributes>(); }
  ChannelMap channel_map() const override { return ChannelMap::owns; }
  ReverseRule reverse_rule() const override { return ReverseRule::weighted_linear; }
  void declare_parameters(ParameterStore& store) override;
  Shape output_shape(const Shape& input) const override;
  int64_t macs_per_item(const Shape& input) const override;
  int weight_index() const { return weight_; }
  int bias_index() const { return bias_; }
  void set_copy_layout(int64_t originals, const std::vector<int64_t>& copied, int copies) override {
    copy_rows_ = copy_rows(originals, copied, copies);
  }

 protected:
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  std::unique_ptr<LayerCudaState> prepare_cuda(const Shape& input, CudaContext& ctx,
                                               const ExecContext& options) const override;
  void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                    CudaContext& ctx) override;
#endif

 private:
  int weight_ = -1;
  int bias_ = -1;
  CopyRows copy_rows_;  // empty unless hardened: then one GEMM per group of rows (sgemm and cuBLAS)
};

}  // namespace ftcnn
