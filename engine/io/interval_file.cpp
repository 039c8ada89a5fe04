#include "engine/io/interval_file.hpp"

#include <cstdio>

#include "engine/error.hpp"
#include "engine/io/hdf5_file.hpp"

namespace ftcnn {
namespace {

constexpr const char* kFormatName = "ftcnn-intervals";
constexpr int64_t kFormatVersion = 1;

}  // namespace

void write_interval_file(const std::string& path, const IntervalProfile& profile) {
  FT_CHECK(profile.images > 0, "{}: no images were profiled", path);
  write_hdf5_file(path, [&](H5File& file) {
    file.write_string_attribute("format", kFormatName);
    file.write_int_attribute("format_version", kFormatVersion);
    file.write_int_attribute("images", profile.images);
    file.write_string_attribute("provenance", profile.provenance_json);
    for (const LayerInterval& l : profile.layers) {
      file.create_group(l.layer);
      const Shape shape{static_cast<int64_t>(l.lower.size())};
      file.write_tensor(l.layer + "/lower", shape, l.lower.data(), false);
      file.write_tensor(l.layer + "/upper", shape, l.upper.data(), false);
    }
  });
}

IntervalProfile read_interval_file(const std::string& path) {
  const H5File file = H5File::open_read(path);
  const std::string format = file.string_attribute("format").value_or("");
  FT_CHECK(format.empty() || format == kFormatName, "{}: format '{}' is not an interval file ({})", path,
           format, kFormatName);
  IntervalProfile profile;
  profile.images = file.int_attribute("images").value_or(0);
  profile.provenance_json = file.string_attribute("provenance").value_or("{}");
  profile.source = path;
  for (const std::string& group : file.group_names("/")) {
    LayerInterval l{group, {}, {}};
    const Tensor lower = file.read_tensor(group + "/lower");
    const Tensor upper = file.read_tensor(group + "/upper");
    FT_CHECK(lower.shape().rank() == 1 && lower.shape() == upper.shape(),
             "{}: '{}/lower' {} and '{}/upper' {} must be equal one-dimensional shapes", path, group,
             lower.shape().str(), group, upper.shape().str());
    for (int64_t c = 0; c < lower.numel(); ++c) {
      FT_CHECK(lower[c] <= upper[c], "{}: layer '{}' channel {}: lower bound {} is not <= upper bound {}",
               path, group, c, lower[c], upper[c]);  // also refuses NaN
    }
    l.lower = lower.values();
    l.upper = upper.values();
    profile.layers.push_back(std::move(l));
  }
  FT_CHECK(!profile.layers.empty(), "{}: holds no '<layer>/lower' and '<layer>/upper' datasets", path);
  return profile;
}

}  // namespace ftcnn
