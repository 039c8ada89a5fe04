// conv2d's CPU body through oneDNN (builds with FTCNN_ONEDNN; CpuConvolution::onednn), as PyTorch's CPU
// convolution runs: the images and the weights reordered into oneDNN's blocked layouts, one direct
// convolution primitive, the result reordered back to NCHW.
//
// Numerics (docs/design.md): `convolution_direct` only, never Winograd or `auto` (Winograd transforms tiles
// of input and filter, so one huge, Inf or NaN value from a bit flip would spread over a whole tile, and
// that changes what a fault injection measures), and the strict fpmath mode set explicitly (no bf16 or
// other down-converted arithmetic, whatever ONEDNN_DEFAULT_FPMATH_MODE says): every output is a plain fp32
// sum of products over its window. Padding taps are not computed, as in PyTorch: an Inf weight reaches no
// output whose tap lies in the padding (im2col + GEMM multiplies it by a padding zero: NaN there).
//
// Plans and faults: the primitives and reorders are made at prepare time, once per (layer, batch size);
// the weights are read from the parameter arena on every call and reordered then (fault injection flips
// them in place between runs, so a blocked copy made at prepare time would go stale).
//
// Hardened layers (copy_rows.hpp): where a probe at prepare time shows that one primitive over all rows
// gives every fault-free copy its original's bits (each channel summed in the same order, wherever it
// sits), one run over all rows: the layer's own MACs, written straight into the output. Else one primitive
// of the copy sets' shape, run once per copy set on the set's gathered weight rows (padded to whole channel
// blocks), so that a fault-free copy sits in the same row of the same computation as its original and
// carries its bits by construction, whatever oneDNN does with a row's position.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/layer.hpp"
#include "engine/layers/copy_rows.hpp"

namespace ftcnn {

struct Conv2dAttributes;
struct OneDnnHandles;

// The engine and stream of a CPU context; throws in a build without oneDNN.
std::unique_ptr<OneDnnHandles> make_onednn_handles();

// How a hardened layer's plan computes its copies: one run over all rows where the probe finds the copies
// exact (the default), or always one run per copy set (tests).
enum class CopyRunChoice { one_run_if_exact, copy_sets };

// The oneDNN plan of conv2d `layer` (its name, for messages) for `input` and its `output` shape; copy rows
// as the layer holds them. The plan's implementation() names oneDNN's kernel, and the copy-set runs when
// there are any.
std::unique_ptr<LayerCpuState> prepare_onednn_conv(const std::string& layer,
                                                   const Conv2dAttributes& attributes, const Shape& input,
                                                   const Shape& output, const CopyRows& copy_rows,
                                                   CpuContext& ctx,
                                                   CopyRunChoice choice = CopyRunChoice::one_run_if_exact);
// Runs it: `weight` [out, in / groups, kh, kw] and `bias` [out] (or nullptr) from the arena, NCHW in and out.
void forward_onednn_conv(const LayerCpuState& state, const float* weight, const float* bias, const float* in,
                         float* out, CpuContext& ctx);

}  // namespace ftcnn
