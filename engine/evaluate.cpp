#include "engine/evaluate.hpp"

#include <chrono>
#include <cmath>

#include "engine/batches.hpp"
#include "engine/error.hpp"

namespace ftcnn {

int32_t top1(const float* logits, int64_t classes) {
  int32_t best = 0;
  for (int64_t c = 0; c < classes; ++c) {
    if (!std::isfinite(logits[c])) return kNoPrediction;
    if (logits[c] > logits[best]) best = static_cast<int32_t>(c);
  }
  return best;
}

void check_model_fits_data(const ModelSpec& spec, const Dataset& data) {
  FT_CHECK(spec.input == data.item, "model '{}' takes inputs {} but {} holds images {}", spec.arch,
           spec.input.str(), data.source, data.item.str());
  FT_CHECK(spec.num_classes == data.num_classes, "model '{}' has {} classes but {} has {}", spec.arch,
           spec.num_classes, data.source, data.num_classes);
}

EvalResult evaluate(Runner& runner, const Graph& graph, const Dataset& data, float scale,
                    const std::vector<float>& mean, const std::vector<float>& std, int64_t batch,
                    bool keep_logits, const std::function<void(int64_t)>& progress) {
  FT_CHECK(batch > 0, "batch size must be positive, got {}", batch);
  check_model_fits_data(graph.spec(), data);
  const int64_t classes = graph.spec().num_classes;
  EvalResult result;
  result.images = data.count;
  result.predictions.resize(static_cast<size_t>(data.count));
  if (keep_logits) result.logits.resize(static_cast<size_t>(data.count * classes));
  std::vector<float> input(static_cast<size_t>(std::min(batch, data.count) * data.item.numel()));
  std::vector<float> output(static_cast<size_t>(std::min(batch, data.count) * classes));
  const auto start = std::chrono::steady_clock::now();
  for_each_batch(data.count, batch, [&](int64_t first, int64_t count) {
    preprocess_images(data, first, count, scale, mean, std, input.data());
    runner.forward(input.data(), count, output.data());
    for (int64_t i = 0; i < count; ++i) {
      const int32_t predicted = top1(output.data() + i * classes, classes);
      result.predictions[static_cast<size_t>(first + i)] = predicted;
      if (predicted == kNoPrediction) ++result.non_finite;
      if (predicted == data.labels[static_cast<size_t>(first + i)]) ++result.correct;
    }
    if (keep_logits)
      std::copy(output.begin(), output.begin() + count * classes, result.logits.begin() + first * classes);
    if (progress) progress(first + count);
  });
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace ftcnn
