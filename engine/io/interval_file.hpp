// Interval files (docs/hardening.md): HDF5, datasets "<layer>/lower" and "<layer>/upper" (float32
// [channels]) plus root attributes `format` ("ftcnn-intervals"), `format_version` (1), `images` and
// `provenance` (JSON: tool, time, model, its checksum, data).
#pragma once

#include <string>

#include "engine/interval_profile.hpp"

namespace ftcnn {

// Writes atomically (to "<path>.tmp", then renamed). Throws when the profile has no images.
void write_interval_file(const std::string& path, const IntervalProfile& profile);
// Reads every layer group of an interval file; throws naming the file and dataset on anything malformed
// (lower > upper, NaN, mismatched sizes).
IntervalProfile read_interval_file(const std::string& path);

}  // namespace ftcnn
