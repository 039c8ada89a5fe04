// The model-file attributes (docs/model_format.md) that several ops share, read and written one way: each
// op's read_attributes / write_attributes composes the ones it has. A missing or mistyped field throws
// (nlohmann::json's message; model_spec_from_json names the file and the node).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "engine/model_spec.hpp"

namespace ftcnn::attributes {

// "in", "out": input and output channels (features).
void read_channels(const nlohmann::json& j, LayerSpec& spec);
void write_channels(const LayerSpec& spec, nlohmann::json& j);
// "kernel", "stride", "padding": a window, [h, w] each.
void read_window(const nlohmann::json& j, LayerSpec& spec);
void write_window(const LayerSpec& spec, nlohmann::json& j);
// "bias": whether a conv2d / linear layer has one.
void read_bias(const nlohmann::json& j, LayerSpec& spec);
void write_bias(const LayerSpec& spec, nlohmann::json& j);
// A correction layer's list of copied channels under `key` ("duplicated", "triplicated").
void read_copied(const nlohmann::json& j, const char* key, LayerSpec& spec);
void write_copied(const LayerSpec& spec, const char* key, nlohmann::json& j);

}  // namespace ftcnn::attributes
