// Channel ranking files for `ftcnn harden --ranking` (docs/hardening.md): HDF5 with one integer dataset
// "<layer>/ranking" per protected layer, channel indices most vulnerable first, as `ftcnn vuln --out` writes.
#pragma once

#include <string>

#include "engine/hardening.hpp"

namespace ftcnn {

// Datasets "<layer>/ranking" (integers) for every protected layer; throws naming the file and layer when one
// is missing or is not a permutation of the layer's channels.
ChannelRankings read_ranking_file(const std::string& path, const Graph& graph);

}  // namespace ftcnn
