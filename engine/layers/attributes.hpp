// The attribute shapes that several ops share, and their model-file fields (docs/model_format.md), read and
// written one way: each op's read_attributes / write_attributes composes the ones it has. A missing or
// mistyped field throws (nlohmann::json's message; model_spec_from_json names the file and the node).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/model_spec.hpp"

namespace ftcnn {

// A 2-D window (conv2d, pooling), as (height, width) each.
struct WindowSpec {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
};

// An op with input and output channel (feature) counts: conv2d, linear, batchnorm2d (in = out), and the
// correction layers (in = out + copies).
struct ChannelAttributes : OpAttributes {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
};

// The output channels of a node whose op has channel counts; throws naming the node otherwise.
inline int64_t out_channels_of(const LayerSpec& l) {
  return l.attrs<ChannelAttributes>().out_channels;
}

// A correction layer after a hardened conv2d / linear (edac, tmr_vote): the original channels that have
// copies, in copy order; in_channels = out_channels + copies_each() x copied.size().
struct CopyAttributes : ChannelAttributes {
  std::vector<int64_t> copied;
  // How many copies each copied channel has: 1 (edac), 2 (tmr_vote).
  virtual int copies_each() const = 0;
};

// maxpool2d, avgpool2d: their window.
struct PoolAttributes final : AttributesOf<PoolAttributes>, WindowSpec {};

namespace attributes {

// "in", "out": input and output channels (features).
void read_channels(const nlohmann::json& j, ChannelAttributes& a);
void write_channels(const ChannelAttributes& a, nlohmann::json& j);
// "kernel", "stride", "padding": a window, [h, w] each.
void read_window(const nlohmann::json& j, WindowSpec& w);
void write_window(const WindowSpec& w, nlohmann::json& j);
// A correction layer's list of copied channels under `key` ("duplicated", "triplicated").
void read_copied(const nlohmann::json& j, const char* key, CopyAttributes& a);
void write_copied(const CopyAttributes& a, const char* key, nlohmann::json& j);
// "bias": whether a conv2d / linear layer has one.
bool read_bias(const nlohmann::json& j);

}  // namespace attributes
}  // namespace ftcnn
