// The images a command runs on, whatever file they came from, and the one entry that reads them.
//
// load_dataset() tells the format from what the path is (docs/datasets.md):
//   - a folder of CIFAR binary files (test_batch.bin, data_batch_N.bin; test.bin, train.bin):
//   cifar_dataset.hpp
//   - a folder of CIFAR python files, torchvision's cifar-10-batches-py / cifar-100-python: cifar_python.hpp
//   - a folder holding exactly one of those folders under its usual name (torchvision's root)
//   - an .npz or .h5/.hdf5 file of images and labels, any input size: array_dataset.hpp
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace ftcnn {

struct Dataset {
  std::string name;    // "cifar10", "cifar100", or the array file's stem
  std::string source;  // the files it was read from
  int num_classes = 0;
  int64_t count = 0;
  Shape item{3, 32, 32};  // C, H, W of one image
  // Exactly one of these holds the images, count x item each, CHW: 8-bit pixels (scaled by the model's
  // preprocessing scale, 1/255), or float values that are already scaled (a float32 array file; only the
  // model's mean and std apply). uint8 keeps the common case at a quarter of the memory.
  bool scaled = false;
  std::vector<uint8_t> pixels;
  std::vector<float> values;
  std::vector<int32_t> labels;  // fine labels for CIFAR-100
  std::vector<std::string> class_names;
};

// Reads `split` ("test" or "train") of the dataset at `path`; `limit` > 0 keeps the first `limit` images.
// Throws one line naming the file and the problem; on a path of no known layout, naming what was looked for.
Dataset load_dataset(const std::string& path, const std::string& split = "test", int64_t limit = 0);

// `count` images of `all` spread evenly over it, in order: image k is all's image k * all.count / count, so
// every part of a file whose images are sorted (by class, say) is represented. count >= all.count: all.
Dataset evenly_spaced_subset(const Dataset& all, int64_t count);

// Writes images [first, first + count) as float NCHW: (pixel * scale - mean[c]) / std[c] for 8-bit images,
// (value - mean[c]) / std[c] for scaled ones. mean and std hold one value per channel.
void preprocess_images(const Dataset& data, int64_t first, int64_t count, float scale,
                       const std::vector<float>& mean, const std::vector<float>& std, float* out);

// Whether `path` is a regular file (not a folder), as the readers test for the files of a layout.
bool is_regular_file(const std::string& path);

// Checks a dataset just read: labels within [0, num_classes), class names (if any) one per class, the
// image buffer the size of count x item. Throws naming `data.source`.
void check_dataset(const Dataset& data);

}  // namespace ftcnn
