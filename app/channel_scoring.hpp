// Eq. (1) (or l1 / random) channel scores as `ftcnn vuln` and `ftcnn prune --scores` compute them, on the
// same inputs: the selected images of a CIFAR split (the first N, or N evenly spaced: ImageSelection),
// preprocessed as the model says, with a progress bar.
#pragma once

#include <string>

#include "app/cli_common.hpp"
#include "engine/io/cifar_dataset.hpp"
#include "engine/io/model_file.hpp"
#include "engine/vulnerability/vulnerability.hpp"

namespace ftcnn::cli {

struct ScoredChannels {
  VulnerabilityResult result;
  Dataset data;           // the split read (nothing for l1 / random)
  std::string selection;  // "the first 256 of 50000 images" ("" for l1 / random)
};

// `data_dir` and `split` are read only for the methods that use inputs (exact, batch).
ScoredChannels score_channels(Model& model, const std::string& data_dir, const std::string& split,
                              const ImageSelection& images, const VulnerabilityOptions& settings,
                              const std::string& progress_label);

}  // namespace ftcnn::cli
