// The architecture of a model as data: an input shape and a list of nodes in topological order, each naming
// the nodes it reads (a DAG; the last node's output is the model's output).
//
// Layer names are PyTorch module paths ("features.0", "classifier.6"); a layer's parameters are named
// "<layer>.<tensor>" exactly as in a PyTorch state_dict, so a state_dict file and an ftcnn model file share
// tensor names. The JSON form (to_json / model_spec_from_json) is what ftcnn model files store.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace ftcnn {

enum class LayerType {
  conv2d,
  linear,
  batchnorm2d,
  relu,
  relu6,       // min(max(x, 0), 6) (nn.ReLU6)
  leaky_relu,  // x > 0 ? x : x * negative_slope (nn.LeakyReLU)
  maxpool2d,
  avgpool2d,
  global_avgpool,  // mean of every channel's plane: [N, C, H, W] -> [N, C, 1, 1] (nn.AdaptiveAvgPool2d(1))
  flatten,
  dropout,
  add,     // element-wise sum of two or more same-shape inputs (a residual connection)
  concat,  // concatenation of two or more inputs along the channel (feature) dimension
  edac,    // hardening: error detection and correction after a duplicated conv2d / linear (docs/hardening.md)
  tmr_vote,  // hardening: majority voter after a triplicated conv2d / linear
};

// How many layer types there are (the last one above + 1; the op list's test walks them all).
inline constexpr int kLayerTypeCount = static_cast<int>(LayerType::tmr_vote) + 1;

// The model-file names of the types, from the op list (engine/layer_registry.cpp).
const char* layer_type_name(LayerType type);
// Throws naming the text when it is not a layer type.
LayerType layer_type_from_name(const std::string& name);

// How an edac layer corrects (docs/hardening.md): `edac` is the paper's layer with per-channel detection
// intervals; `dup_only` is the Sec. III-C baseline "duplication + EDAC without intervals".
enum class EdacMode { edac, dup_only };

const char* edac_mode_name(EdacMode mode);  // "edac", "dup-only"
// Throws naming the text when it is not a mode.
EdacMode edac_mode_from_name(const std::string& name);

// The name a node uses for the model's input in its `inputs`; no node may take it.
inline constexpr const char* kModelInputName = "input";

struct LayerSpec {
  std::string name;
  LayerType type = LayerType::relu;
  // The nodes whose outputs this node reads, by name (kModelInputName: the model input), each earlier in
  // the list. Empty: the node before it (the model input for the first), so a chain names nothing.
  std::vector<std::string> inputs;
  // conv2d: channels; linear: features; batchnorm2d: in_channels = out_channels = channels.
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  // conv2d and pooling windows, as (height, width).
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  bool bias = true;              // conv2d / linear
  int64_t groups = 1;            // conv2d: input and output channels split into this many groups
  double eps = 1e-5;             // batchnorm2d
  double negative_slope = 0.01;  // leaky_relu
  // edac / tmr_vote: in_channels = out_channels + copies x copied.size(). `copied` lists the original
  // channels that have copies, in copy order (JSON "duplicated" for edac, "triplicated" for tmr_vote).
  std::vector<int64_t> copied;
  EdacMode edac_mode = EdacMode::edac;  // edac
};

struct ModelSpec {
  std::string arch;         // "vgg11", "alexnet", ... (informational)
  Shape input{3, 32, 32};   // one item: [channels, height, width], or [features]
  int64_t num_classes = 0;  // width of the last layer's output; 0 for a model that is not a classifier
  std::vector<LayerSpec> layers;
};

// Format version 2 writes every node's inputs; version 1 (a chain, no "inputs") still reads.
std::string model_spec_to_json(const ModelSpec& spec);
// `origin` names the file the text came from, for error messages. `format_version` is the model file's:
// version 2 needs every node's (non-empty) "inputs"; version 1 is a chain, with no "inputs" and no joins.
ModelSpec model_spec_from_json(const std::string& text, const std::string& origin,
                               int64_t format_version = 2);

// Convenience constructors used by the architecture builders in models/.
LayerSpec conv2d_spec(std::string name, int64_t in, int64_t out, int64_t kernel, int64_t stride,
                      int64_t padding, bool bias);
LayerSpec linear_spec(std::string name, int64_t in, int64_t out, bool bias = true);
LayerSpec batchnorm2d_spec(std::string name, int64_t channels, double eps = 1e-5);
LayerSpec pool_spec(std::string name, LayerType type, int64_t kernel, int64_t stride, int64_t padding = 0);
LayerSpec simple_spec(std::string name, LayerType type);
// An add or concat node over the named inputs.
LayerSpec join_spec(std::string name, LayerType type, std::vector<std::string> inputs);

// The inputs of every node as indices (-1: the model input), empty `inputs` resolved to the node before.
// Throws naming the node when an input names no earlier node, or when two nodes share a name.
std::vector<std::vector<int>> resolve_inputs(const ModelSpec& spec);
// True when every node reads only the node before it (the model input for the first): a sequential model.
bool is_chain(const ModelSpec& spec);
// An edac layer over `channels` outputs whose channels `duplicated` have one copy each.
LayerSpec edac_spec(std::string name, int64_t channels, std::vector<int64_t> duplicated, EdacMode mode);
// A voter over `channels` outputs whose channels `triplicated` have two copies each.
LayerSpec tmr_vote_spec(std::string name, int64_t channels, std::vector<int64_t> triplicated);

}  // namespace ftcnn
