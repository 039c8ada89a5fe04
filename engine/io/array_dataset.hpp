// Images and labels of any dataset and input size as arrays in one file: numpy's .npz (np.savez or
// np.savez_compressed) or HDF5 (.h5, .hdf5). docs/datasets.md has the convention in full:
//   - the test split is `x_test` + `y_test`, else `images` + `labels`; the train split is `x_train` +
//   `y_train`
//   - images: uint8 N x H x W x C (or N x H x W, one channel), pixels the model's scale (1/255) applies to;
//     or float32/float64 N x C x H x W (or N x H x W), values already scaled (torchvision's ToTensor output):
//     only the model's mean and std apply
//   - labels: any integer type, N of them
//   - optional `class_names` (strings) and `num_classes` (an integer array, or an HDF5 root attribute);
//     without them the class count is the largest label + 1
#pragma once

#include <cstdint>
#include <string>

#include "engine/io/dataset.hpp"

namespace ftcnn {

Dataset load_npz_dataset(const std::string& path, const std::string& split = "test", int64_t limit = 0);
Dataset load_h5_dataset(const std::string& path, const std::string& split = "test", int64_t limit = 0);

}  // namespace ftcnn
