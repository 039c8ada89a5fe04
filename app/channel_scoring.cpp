#include "app/channel_scoring.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "app/progress_bar.hpp"
#include "engine/evaluate.hpp"

namespace ftcnn::cli {

ScoredChannels score_channels(Model& model, const std::string& data_dir, const std::string& split,
                              const ImageSelection& images, const VulnerabilityOptions& settings,
                              const std::string& progress_label) {
  Graph& graph = *model.graph;
  ScoredChannels scored;
  int64_t count = 0;
  if (uses_inputs(settings.method)) {
    scored.data = load_dataset(data_dir, split);
    FT_CHECK(scored.data.count > 0, "{}: no images", data_dir);
    count = std::min(images.count, scored.data.count);
    check_model_fits_data(graph.spec(), scored.data);
    scored.selection = describe_selection(images, count, scored.data.count);
  }
  const Dataset& data = scored.data;
  const Preprocessing& pre = model.info.preprocessing;
  const auto image_index = [&](int64_t k) { return images.evenly_spaced ? k * data.count / count : k; };
  const int64_t item = graph.spec().input.numel();
  ProgressBar bar(progress_label, count, "img");
  scored.result = compute_vulnerability(
      graph, count,
      [&](int64_t first, int64_t n, float* out) {
        for (int64_t k = 0; k < n; ++k) {
          preprocess_images(data, image_index(first + k), 1, pre.scale, pre.mean, pre.std, out + k * item);
        }
      },
      settings, [&](int64_t done) { bar.update(done); });
  bar.finish();
  return scored;
}

}  // namespace ftcnn::cli
