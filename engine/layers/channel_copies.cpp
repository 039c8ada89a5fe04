#include "engine/layers/channel_copies.hpp"

#include <limits>

#include <fmt/format.h>

namespace ftcnn {

std::string channel_copies_problem(const CopyAttributes& spec) {
  const int64_t copies_each = spec.copies_each();
  const int64_t out = spec.out_channels, count = static_cast<int64_t>(spec.copied.size());
  if (out <= 0) return "needs a positive channel count";
  // The kernels index channels with 32-bit copy indices.
  if (out > std::numeric_limits<int32_t>::max()) return fmt::format("{} channels are too many", out);
  if (spec.in_channels != out + copies_each * count) {
    return fmt::format("takes {} + {} x {} copied = {} input channels, the architecture says {}", out,
                       copies_each, count, out + copies_each * count, spec.in_channels);
  }
  std::vector<bool> seen(static_cast<size_t>(out), false);
  for (int64_t c : spec.copied) {
    if (c < 0 || c >= out) return fmt::format("copied channel {} is not in [0, {})", c, out);
    if (seen[static_cast<size_t>(c)]) return fmt::format("copied channel {} is listed twice", c);
    seen[static_cast<size_t>(c)] = true;
  }
  return "";
}

std::vector<int32_t> copy_index_map(const CopyAttributes& spec) {
  std::vector<int32_t> map(static_cast<size_t>(spec.out_channels), -1);
  for (size_t k = 0; k < spec.copied.size(); ++k)
    map[static_cast<size_t>(spec.copied[k])] = static_cast<int32_t>(k);
  return map;
}

Shape channel_copies_output_shape(const CopyAttributes& spec, const Shape& input) {
  if (input.rank() < 2 || input[1] != spec.in_channels) return Shape();
  std::vector<int64_t> dims = input.dims();
  dims[1] = spec.out_channels;
  return Shape(std::move(dims));
}

}  // namespace ftcnn
