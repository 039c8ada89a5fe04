#include "engine/interval_profile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/error.hpp"
#include "weights/hdf5_file.hpp"

namespace ftcnn {
namespace {

constexpr const char* kFormatName = "ftcnn-intervals";
constexpr int64_t kFormatVersion = 1;

bool is_protectable(LayerType type) {
  return type == LayerType::conv2d || type == LayerType::linear;
}

// Names of the groups directly under the root, sorted (H5File lists datasets only).
std::vector<std::string> root_groups(const H5File& file) {
  std::vector<std::string> names;
  auto visit = [](hid_t gid, const char* name, const H5L_info_t*, void* data) -> herr_t {
    H5O_info_t info{};
    if (H5Oget_info_by_name2(gid, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
        info.type == H5O_TYPE_GROUP) {
      static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    }
    return 0;
  };
  FT_CHECK(H5Literate(file.root(), H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names) >= 0,
           "{}: cannot list its groups", file.path());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

const LayerInterval* IntervalProfile::find(const std::string& layer) const {
  for (const LayerInterval& l : layers) {
    if (l.layer == layer) return &l;
  }
  return nullptr;
}

IntervalProfiler::IntervalProfiler(Graph& graph, int threads)
    : graph_(graph), cpu_(threads) {
  ctx_.cpu = &cpu_;
  for (int i = 0; i < graph_.size(); ++i) {
    const LayerSpec& spec = graph_.layer(i).spec();
    FT_CHECK(spec.type != LayerType::edac && spec.type != LayerType::tmr_vote,
             "layer {} is a {} layer: profile the plain model, not a hardened one", spec.name,
             layer_type_name(spec.type));
    if (!is_protectable(spec.type)) {
      profiled_layer_.push_back(-1);
      continue;
    }
    profiled_layer_.push_back(static_cast<int>(profile_.layers.size()));
    const size_t channels = static_cast<size_t>(spec.out_channels);
    profile_.layers.push_back(
        LayerInterval{spec.name, std::vector<float>(channels, std::numeric_limits<float>::infinity()),
                      std::vector<float>(channels, -std::numeric_limits<float>::infinity())});
  }
  FT_CHECK(!profile_.layers.empty(), "architecture '{}' has no conv2d or linear layer to profile",
           graph_.spec().arch);
}

void IntervalProfiler::add(const float* input, int64_t batch) {
  if (batch <= 0) return;
  const GraphPlan& plan = plans_.get(ctx_, batch);
  for (auto& b : buffers_) b.resize(std::max(b.size(), static_cast<size_t>(plans_.max_activation())));
  logits_.resize(static_cast<size_t>(plan.shapes.back().numel()));
  float* const buffers[2] = {buffers_[0].data(), buffers_[1].data()};
  LayerHooks hooks;
  hooks.after = [this](int layer, const Shape& shape, float* out) { fold(layer, shape, out); };
  graph_.run(ctx_, plan, ParameterView(graph_.parameters(), graph_.parameters().arena().data()), input, buffers,
             logits_.data(), &hooks);
  profile_.images += batch;
}

void IntervalProfiler::fold(int layer, const Shape& shape, const float* out) {
  const int index = profiled_layer_[static_cast<size_t>(layer)];
  if (index < 0) return;
  LayerInterval& interval = profile_.layers[static_cast<size_t>(index)];
  const int64_t batch = shape[0], channels = shape[1];
  const int64_t inner = shape.per_item() / channels;  // H * W, or 1 after a linear layer
  int64_t non_finite = 0;
#pragma omp parallel for num_threads(cpu_.threads()) schedule(static) reduction(+ : non_finite)
  for (int64_t c = 0; c < channels; ++c) {
    float lo = interval.lower[static_cast<size_t>(c)], hi = interval.upper[static_cast<size_t>(c)];
    for (int64_t n = 0; n < batch; ++n) {
      const float* values = out + (n * channels + c) * inner;
      for (int64_t p = 0; p < inner; ++p) {
        const float v = values[p];
        if (!std::isfinite(v)) {
          ++non_finite;
          continue;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
    interval.lower[static_cast<size_t>(c)] = lo;
    interval.upper[static_cast<size_t>(c)] = hi;
  }
  FT_CHECK(non_finite == 0, "layer {}: {} NaN or Inf outputs on the profiling inputs (a broken model?)",
           graph_.layer(layer).name(), non_finite);
}

IntervalProfile widen_intervals(const IntervalProfile& profile, double margin) {
  FT_CHECK(margin >= 0.0 && std::isfinite(margin), "--margin must be a finite value >= 0, got {}", margin);
  IntervalProfile widened = profile;
  for (LayerInterval& l : widened.layers) {
    for (size_t c = 0; c < l.lower.size(); ++c) {
      const double lo = l.lower[c], hi = l.upper[c];
      const double m = margin * std::max(std::fabs(lo), std::fabs(hi));
      l.lower[c] = static_cast<float>(lo - m);
      l.upper[c] = static_cast<float>(hi + m);
    }
  }
  return widened;
}

void write_interval_file(const std::string& path, const IntervalProfile& profile) {
  FT_CHECK(profile.images > 0, "{}: no images were profiled", path);
  const std::string temporary = path + ".tmp";
  {
    H5File file = H5File::create(temporary);
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
  }
  FT_CHECK(std::rename(temporary.c_str(), path.c_str()) == 0, "{}: cannot move the written file into place",
           path);
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
  for (const std::string& group : root_groups(file)) {
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
