// Eq. (1) (or l1 / random) channel scores as `ftcnn vuln` and `ftcnn prune --importance` compute them, on
// the same inputs: `images` evenly spaced over a CIFAR split (image k of n is image k * total / n, hence
// class-balanced whatever the file's order), preprocessed as the model says, with a progress bar.
#pragma once

#include <string>

#include "engine/io/cifar_dataset.hpp"
#include "engine/io/model_file.hpp"
#include "engine/vulnerability/vulnerability.hpp"

namespace ftcnn::cli {

struct ScoredChannels {
  VulnerabilityResult result;
  Dataset data;           // the split read (nothing for l1 / random)
  std::string selection;  // "256 of 50000 images, evenly spaced" ("" for l1 / random)
};

// `data_dir` and `split` are read only for the methods that use inputs (exact, batch).
ScoredChannels score_channels(Model& model, const std::string& data_dir, const std::string& split,
                              int64_t images, const VulnerabilityOptions& settings,
                              const std::string& progress_label);

}  // namespace ftcnn::cli
