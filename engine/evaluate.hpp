// Classifying a dataset with a Runner: batches, preprocessing, top-1 predictions, timing.
//
// A row of logits holding any NaN or Inf yields no prediction (kNoPrediction): it is never counted as a
// valid class, so corrupted outputs cannot pass for correct ones.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/io/cifar_dataset.hpp"
#include "engine/runner.hpp"

namespace ftcnn {

constexpr int32_t kNoPrediction = -1;

struct EvalResult {
  int64_t images = 0;
  int64_t correct = 0;
  int64_t non_finite = 0;            // rows with a NaN or Inf logit
  std::vector<int32_t> predictions;  // per image, kNoPrediction for a non-finite row
  std::vector<float> logits;         // images x classes, when requested
  double seconds = 0.0;              // forward passes only (preprocessing and transfers included)
  double accuracy() const {
    return images > 0 ? static_cast<double>(correct) / static_cast<double>(images) : 0.0;
  }
};

// Index of the largest logit, or kNoPrediction when any logit is NaN or Inf. Ties go to the lowest index
// (as torch.argmax).
int32_t top1(const float* logits, int64_t classes);

// Throws, naming both, unless the model takes the dataset's images and has its number of classes.
void check_model_fits_data(const ModelSpec& spec, const Dataset& data);

// `progress(done)` is called after every batch.
EvalResult evaluate(Runner& runner, const Graph& graph, const Dataset& data, float scale,
                    const std::vector<float>& mean, const std::vector<float>& std, int64_t batch,
                    bool keep_logits, const std::function<void(int64_t)>& progress = {});

}  // namespace ftcnn
