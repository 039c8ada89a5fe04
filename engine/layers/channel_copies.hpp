// What the two hardening layers (edac, tmr_vote) share: the layout of a protected layer's output with the
// copies of some channels appended, [N, out + copies_each * copied.size(), ...], and its reduction to
// [N, out, ...]. The copies of original channel spec.copied[k] are channels out + k (and, for a second copy,
// out + copied.size() + k).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/layer.hpp"
#include "engine/layers/attributes.hpp"

namespace ftcnn {

// Returns "" when spec.copied fits (indices in [0, out), none twice, in = out + copies_each x copied), or
// what is wrong.
std::string channel_copies_problem(const CopyAttributes& spec);
// copy_index[c] = k when spec.copied[k] == c, -1 for a channel without copies (the kernels' table).
std::vector<int32_t> copy_index_map(const CopyAttributes& spec);
// [N, in, rest...] -> [N, out, rest...]; an empty shape when `input` is not [N, in, ...].
Shape channel_copies_output_shape(const CopyAttributes& spec, const Shape& input);

}  // namespace ftcnn
