// Loading and saving models: ftcnn model files (docs/model_format.md) and PyTorch state_dict HDF5 files.
//
// A state_dict file carries no architecture, so it comes from the file's `arch` attribute or the caller's
// `arch` argument (an explicit argument wins, and a disagreement with the attribute is an error). Every
// parameter the architecture declares must be in the file with exactly its shape, and nothing else may be
// (BatchNorm's `num_batches_tracked` excepted): a mismatch names the dataset.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/graph.hpp"

namespace ftcnn {

struct Preprocessing {
  float scale = 1.0f / 255.0f;  // pixel -> [0, 1]
  std::vector<float> mean;      // per channel
  std::vector<float> std;       // per channel
};

struct ModelInfo {
  std::string source_format;  // "ftcnn-model" or "pytorch-state-dict"
  std::string dataset;        // "cifar10", "cifar100", or "" when unknown
  std::vector<std::string> class_names;
  Preprocessing preprocessing;
  std::string provenance_json = "{}";
  double test_accuracy = -1.0;  // as recorded in the file, -1 when absent
};

struct Model {
  std::unique_ptr<Graph> graph;
  ModelInfo info;
  std::string path;
};

Model load_model(const std::string& path, const std::string& arch = "");
// Writes atomically: to "<path>.tmp" first, renamed over `path` only once complete.
void save_model(const std::string& path, const Graph& graph, const ModelInfo& info);

// CIFAR's class names for "cifar10" / "cifar100"; empty for other datasets.
std::vector<std::string> known_class_names(const std::string& dataset);

}  // namespace ftcnn
