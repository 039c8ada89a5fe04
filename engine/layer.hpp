// The layer contract.
//
// A layer is built from its LayerSpec, declares its parameters in the model's ParameterStore, computes its
// output shape, and runs on one device. `prepare` does all per-shape work once (cuDNN descriptors,
// algorithm choice, workspace size; on the CPU oneDNN primitives) and returns it as a LayerPlan, which the
// caller keeps (runners keep one per layer and batch size for their whole life: a layer holds no plan, so any
// number of runners may share it); `forward` is non-virtual: it checks that the plan is for this device, then
// calls exactly one of forward_cpu / forward_cuda. There is no fallback from CUDA to CPU. Activations are
// NCHW float32 (or [N, features] after flatten), batch first.
//
// Adding a layer: `<name>.hpp` (this contract), `<name>.cpp` (shapes, validation, CPU body), `<name>.cu`
// (CUDA body), one line in layer_registry.cpp, one test file.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/device.hpp"
#include "engine/error.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/model_spec.hpp"
#include "engine/parameter_store.hpp"
#include "engine/tensor.hpp"
#include "kernels/activation_rules.hpp"

namespace ftcnn {

class CpuContext;
class CudaContext;
class Layer;

// The cuDNN algorithm of every conv2d plan, "<layer> <input shape>" -> algorithm name
// ("features.0 [1000, 3, 32, 32]" -> "IMPLICIT_PRECOMP_GEMM"): recorded beside CUDA results, and given back
// to a resumed campaign so that it computes the golden run it logged.
using AlgorithmChoices = std::map<std::string, std::string>;

// What a prepare or forward call runs with: the device and that device's context.
struct ExecContext {
  Device device = Device::cpu;
  CpuContext* cpu = nullptr;
  CudaContext* cuda = nullptr;
  // prepare: algorithms to use instead of choosing (keys as AlgorithmChoices); nullptr: choose.
  const AlgorithmChoices* pinned_algorithms = nullptr;
  // prepare, CUDA: a hardened conv2d / linear computes originals and copies in one GEMM instead of one
  // same-shape GEMM per copy set (engine/layers/copy_groups.cuh; FTCNN_CUDA_SINGLE_GEMM=1).
  bool single_gemm_copies = false;
  // Called by Graph::run after every layer (or fused step) when set: the CUDA runner's FTCNN_CUDA_SYNC=1
  // check, which waits for the layer and names it in any CUDA error.
  std::function<void(const Layer&)> check_after_layer;
};

// A BatchNorm2d (eval) and/or a ReLU that a layer applies to its own output inside its CUDA kernel, in place
// of the layers that directly follow it: the CUDA runner's fusion of a correction layer (edac, tmr_vote) with
// its BatchNorm and ReLU (docs/hardening.md). A plan-time decision of Graph::prepare. The BatchNorm is named
// by its four parameter indices: the kernel reads them from their own tensors in the arena on every call.
struct FusedEpilogue {
  int bn_weight = -1, bn_bias = -1, bn_mean = -1, bn_var = -1;  // -1: no BatchNorm
  double bn_eps = 0.0;
  bool relu = false;
  std::vector<std::string> layers;  // names of the absorbed layers, in order (for messages)

  bool has_batchnorm() const { return bn_weight >= 0; }
  bool empty() const { return layers.empty(); }
};

// Per-layer, per-shape state owned by the CUDA side (descriptors, chosen algorithms); defined in each
// layer's .cu.
struct LayerCudaState {
  virtual ~LayerCudaState() = default;
  // The algorithm this plan chose, "" where there is no choice.
  virtual std::string algorithm() const { return ""; }
};

// Per-layer, per-shape state owned by the CPU side (conv2d's oneDNN primitives); defined by the layer that
// makes it.
struct LayerCpuState {
  virtual ~LayerCpuState() = default;
  // The library's name for what runs ("jit:avx512_core", "gemm:jit"), "" where there is none.
  virtual std::string implementation() const { return ""; }
};

// A layer prepared for one input shape on one device.
struct LayerPlan {
  Shape input;                // the first input
  std::vector<Shape> inputs;  // every input (a join reads several)
  Device device = Device::cpu;
  FusedEpilogue epilogue;                // the BatchNorm / ReLU the layer applies too (fusion)
  std::unique_ptr<LayerCudaState> cuda;  // CUDA: descriptors, algorithm; may be null
  std::unique_ptr<LayerCpuState> cpu;    // CPU: prepared primitives; null for most layers
};

// The key of a plan in AlgorithmChoices.
std::string algorithm_key(const std::string& layer, const Shape& input);

// What an op does with channels (dimension 1 of its input), for structured pruning (engine/pruning.cpp): a
// pruned channel must disappear from every tensor that carries it.
enum class ChannelMap {
  owns,          // conv2d, linear: its output channels are its own (the prunable ones)
  per_channel,   // batchnorm2d: one parameter entry per channel; the channels pass through
  passes,        // relu, pooling, dropout: the channels pass through
  flattens,      // flatten: channel c becomes its H x W consecutive features
  ties_inputs,   // add: every input must keep the same channels
  concatenates,  // concat: the inputs' channels, one after another
  corrects,      // edac, tmr_vote: hardening (prune first, then harden)
};

// The op's rule in the Eq. (1) reverse pass (engine/vulnerability/, docs/vulnerability.md): what the pass
// records from the op's input in the forward, and how the gradient goes back through it. Both devices
// implement every rule; an op names the one it follows, so a new op that fits a rule costs the reverse
// passes nothing.
enum class ReverseRule {
  weighted_conv,    // conv2d: keeps the input; weight-gradient norms per output channel, dx = W^T dy (col2im)
  weighted_linear,  // linear: keeps the input (and |x|^2); norms per output row, dx = dy W
  scale_channels,   // batchnorm2d (inference): dx = dy * gamma / sqrt(var + eps), per channel
  gate,  // relu, relu6, leaky_relu: keeps where the input passes (gate()); dx = dy there, dy * leak elsewhere
  to_argmax,       // maxpool2d: keeps each window's first maximum; dx gets dy there
  spread_average,  // avgpool2d, global_avgpool: dx gets dy / (kh * kw) over each window, padding counted
  identity,        // flatten, dropout: dx = dy
  sum_fan_out,     // add: every input gets dy
  split_channels,  // concat: each input gets its own channels of dy
  unsupported,     // edac, tmr_vote: refused (score the unhardened model)
};

class Layer {
 public:
  explicit Layer(LayerSpec spec);
  virtual ~Layer();
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // An op's own fields (an OpAttributes type; none here) and their model-file form (docs/model_format.md),
  // beyond name, type and inputs: an op with fields of its own hides these three
  // (engine/layers/attributes.hpp has the shapes several ops share).
  using Attributes = void;
  static void read_attributes(const nlohmann::json& /*j*/, LayerSpec& /*spec*/) {}
  static void write_attributes(const LayerSpec& /*spec*/, nlohmann::json& /*j*/) {}

  const LayerSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  LayerType type() const { return spec_.type; }

  // Adds this layer's parameter tensors to the store (once, when the graph is built).
  virtual void declare_parameters(ParameterStore& store);
  // Output shape for an input shape (batch included); throws naming the layer when the input does not fit.
  virtual Shape output_shape(const Shape& input) const = 0;
  // The pass-through set and leak of an activation whose reverse rule is `gate`
  // (kernels/activation_rules.hpp).
  virtual kernels::Gate gate() const { return {}; }
  // The window (kernel, stride, padding) that a conv2d's or a pooling op's reverse rule walks for `input`:
  // the op's own, or, for an op whose window is the whole plane, the one this input gives. Fails for an op
  // without a window.
  virtual WindowSpec window_spec(const Shape& input) const;
  // A join (add, concat) reads two or more inputs; every other op exactly one.
  virtual bool joins_inputs() const { return false; }
  // Output shape for the node's inputs: a join's rule, or output_shape of the one input; throws naming the
  // layer when the count or the shapes do not fit.
  virtual Shape node_output_shape(const std::vector<Shape>& inputs) const;
  // Multiply-accumulates per item of the batch.
  virtual int64_t macs_per_item(const Shape& input) const;
  // True when the output may be written over the input (element-wise layers).
  virtual bool in_place() const { return false; }
  virtual ChannelMap channel_map() const = 0;
  virtual ReverseRule reverse_rule() const = 0;
  // Why this layer's reverse rule is `unsupported`, naming the layer (the reverse passes' refusal).
  virtual std::string reverse_refusal() const;
  // Hardening: the correction layer after this one reads `copies` copies of the channels `copied` after
  // `originals` channels (docs/hardening.md). conv2d and linear then compute each copy by a GEMM of its
  // original's shape, so that fault-free the two are equal bit for bit (engine/layers/copy_rows.hpp);
  // other layers ignore it.
  virtual void set_copy_layout(int64_t /*originals*/, const std::vector<int64_t>& /*copied*/,
                               int /*copies*/) {}

  // Fusion. True when this layer's body on `device` applies a FusedEpilogue: edac and tmr_vote on both
  // devices, batchnorm2d on the CPU.
  virtual bool accepts_epilogue(Device /*device*/) const { return false; }
  // Adds this layer to `epilogue` when it can run there, after what `epilogue` holds already, for input
  // shape `input`; returns false (and leaves `epilogue` alone) when it cannot (BatchNorm2d, ReLU).
  virtual bool join_epilogue(FusedEpilogue& epilogue, const Shape& input) const;

  // Plans the layer for `input` on the context's device; a non-empty `epilogue` (only for a layer that
  // accepts one) makes forward apply it too.
  std::unique_ptr<LayerPlan> prepare(const ExecContext& ctx, const Shape& input,
                                     const FusedEpilogue& epilogue = {}) const;
  // Plans a node for all its inputs (a join's several, or one).
  std::unique_ptr<LayerPlan> prepare(const ExecContext& ctx, const std::vector<Shape>& inputs,
                                     const FusedEpilogue& epilogue = {}) const;
  // Runs the plan: `in` holds plan.input, `out` the output shape.
  void forward(const ExecContext& ctx, const LayerPlan& plan, const ParameterView& params, const float* in,
               float* out);
  // Runs the plan of a node on all its inputs (plan.inputs, in order).
  void forward(const ExecContext& ctx, const LayerPlan& plan, const ParameterView& params,
               const std::vector<const float*>& in, float* out);

 protected:
  virtual void forward_cpu(const Shape& input, const ParameterView& params, const float* in, float* out,
                           CpuContext& ctx) = 0;
  // The CPU state of a plan (nullptr, the default: forward_cpu needs none).
  virtual std::unique_ptr<LayerCpuState> prepare_cpu(const Shape& input, CpuContext& ctx) const;
  // Runs a CPU plan that holds state (plan.cpu), instead of forward_cpu: the layer whose prepare_cpu made
  // the state overrides it (the default fails).
  virtual void forward_cpu_prepared(const LayerPlan& plan, const ParameterView& params, const float* in,
                                    float* out, CpuContext& ctx);
  // Runs a CPU plan with a fused epilogue (plan.epilogue), instead of forward_cpu: a layer that accepts an
  // epilogue overrides it (the default fails).
  virtual void forward_cpu_fused(const LayerPlan& plan, const ParameterView& params, const float* in,
                                 float* out, CpuContext& ctx);
  // The CUDA state of a plan (nullptr: none needed); `options` is the prepare call's context (pinned
  // algorithms, the copy scheme).
  virtual std::unique_ptr<LayerCudaState> prepare_cuda(const Shape& input, CudaContext& ctx,
                                                       const ExecContext& options) const;
  virtual void forward_cuda(const LayerPlan& plan, const ParameterView& params, const float* in, float* out,
                            CudaContext& ctx);
  // A join's bodies (the defaults fail: a one-input op never gets here).
  virtual void join_cpu(const std::vector<Shape>& inputs, const std::vector<const float*>& in, float* out,
                        CpuContext& ctx);
  virtual void join_cuda(const LayerPlan& plan, const std::vector<const float*>& in, float* out,
                         CudaContext& ctx);

  // Throws "layer <name>: <message>".
  [[noreturn]] void fail(const std::string& message) const;

  LayerSpec spec_;
};

}  // namespace ftcnn
