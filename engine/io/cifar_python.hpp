// CIFAR-10 and CIFAR-100 in their official python format, as torchvision's downloader leaves them:
//   cifar-10-batches-py: data_batch_1..5 (train), test_batch (test), batches.meta (label_names)
//   cifar-100-python:    train, test, meta (fine_label_names)
// Each batch is a pickled dict: 'data', a uint8 numpy array N x 3072 (the R plane, then G, then B, as in the
// binary format), and 'labels' (CIFAR-10) or 'fine_labels' (CIFAR-100), a list of ints. The pickles are read
// by pickle_reader.hpp, which runs no code.
#pragma once

#include <cstdint>
#include <string>

#include "engine/io/dataset.hpp"

namespace ftcnn {

// Reads `split` ("test" or "train") from such a folder; `limit` > 0 keeps the first `limit` images.
Dataset load_cifar_python(const std::string& directory, const std::string& split = "test", int64_t limit = 0);

}  // namespace ftcnn
