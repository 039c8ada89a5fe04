// conv2d: 2-D convolution as nn.Conv2d (zero padding, no dilation, `groups`: grouped and depthwise).
//   input [N, in, H, W] -> output [N, out, OH, OW], OH = (H + 2*pad_h - kh) / stride_h + 1 (floor), same for
//   W. parameters: "<name>.weight" [out, in / groups, kh, kw], "<name>.bias" [out] when it has a bias.
// CPU: oneDNN's direct convolution where built (conv2d_onednn.hpp; primitives made in prepare), else (or with
// FTCNN_CPU_CONV=im2col) batched im2col + one OpenBLAS sgemm per chunk of images. CUDA: cuDNN, strict fp32
// (CUDNN_FMA_MATH), algorithm chosen once in prepare.
#pragma once

#include "engine/layer.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/layers/copy_rows.hpp"

namespace ftcnn {

// The model-file fields of a conv2d: channels, window, bias, groups.
struct Conv2dAttributes final : AttributesOf<Conv2dAttributes, ChannelAttributes>, WindowSpec {
  bool bias = true;
  int64_t groups = 1;  // input and output channels split into this many groups
};

class Conv2d final : public Layer {
 public:
  static constexpr LayerType kType = LayerType::conv2d;
  static constexpr const char* kTypeName = "conv2d";
  using Attributes = Conv2dAttributes;
  // The model-file fields of this op (docs/model_format.md).
  static void read_attributes(const nlohmann::json& j, LayerSpec& spec);
  static void write_attributes(const LayerSpec& spec, nlohmann::json& j);
  explicit Conv2d(LayerSpec spec);
  const Conv2dAttributes& attributes() const { return spec_.attrs<Conv2dAttributes>(); }
  WindowSpec window_spec(const Shape& /*input*/) const override { return attributes(); }
  ChannelMap channel_map() const override { return ChannelMap::owns; }
  // Grouped convolutions included: output channel c's weight gradient and W^T dY per group.
  ReverseRule reverse_rule() const override { return ReverseRule::weighted_conv; }
  void declare_parameters(ParameterStore& store) override;
  Shape output_shape(const Shape& input) const override;
  int64_t macs_per_item(const Shape& input) const override;
  int weight_index() const { return weight_; }
  int bias_index() const { return bias_; }
  // Ungrouped: copy_rows (copy sets); grouped: copy_rows_whole_layer (whole-layer runs).
  void set_copy_layout(int64_t originals, const std::vector<int64_t>& copied, int copies) override;

 protected:
  void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                   CpuContext& ctx) override;
  // oneDNN (CpuConvolution::onednn): the primitives for this input; nullptr for im2col + GEMM.
  std::unique_ptr<LayerCpuState> prepare_cpu(const Shape& input, CpuContext& ctx) const override;
  void forward_cpu_prepared(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                            CpuContext& ctx) override;
#ifdef FTCNN_WITH_CUDA
  std::unique_ptr<LayerCudaState> prepare_cuda(const Shape& input, CudaContext& ctx,
                                               const ExecContext& options) const override;
  void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                    CudaContext& ctx) override;
#endif

 private:
  // groups > 1: one im2col per group and chunk of images, then one GEMM per run (one unless hardened).
  void forward_grouped_cpu(const Shape& input, const Shape& out_shape, const ParameterView& params,
                           const float* in, float* out, CpuContext& ctx) const;

  int weight_ = -1;
  int bias_ = -1;          // -1 without bias
  CopyRows copy_rows_;     // empty unless hardened: then one GEMM per group of rows
  int64_t originals_ = 0;  // output channels without the copies (out_channels unless hardened)
};

}  // namespace ftcnn
