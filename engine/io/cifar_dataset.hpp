// CIFAR-10 and CIFAR-100 in their official binary formats.
//   CIFAR-10:  data_batch_1..5.bin (train), test_batch.bin (test); record = label byte + 3072 pixel bytes.
//   CIFAR-100: train.bin, test.bin; record = coarse label byte + fine label byte + 3072 pixel bytes.
// Pixels are the R plane, then G, then B, each 32x32 row-major. scripts/prepare_cifar writes these files
// from the JPEG packs, so official downloads and prepared packs share this one reader. Class names come
// from batches.meta.txt / fine_label_names.txt when present.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace ftcnn {

struct Dataset {
  std::string name;    // "cifar10" or "cifar100"
  std::string source;  // the files it was read from
  int num_classes = 0;
  int64_t count = 0;
  Shape item{3, 32, 32};
  std::vector<uint8_t> pixels;  // count x 3072, CHW
  std::vector<int32_t> labels;  // fine labels for CIFAR-100
  std::vector<std::string> class_names;
};

// Reads `split` ("test" or "train") from a directory; `limit` > 0 keeps the first `limit` images. Throws
// naming the file on a missing file, a truncated file or a label out of range.
Dataset load_cifar(const std::string& directory, const std::string& split = "test", int64_t limit = 0);

// `count` images of `all` spread evenly over it, in order: image k is all's image k * all.count / count, so
// every part of a file whose images are sorted (by class, say) is represented. count >= all.count: all.
Dataset evenly_spaced_subset(const Dataset& all, int64_t count);

// Writes images [first, first + count) as float NCHW: (pixel * scale - mean[c]) / std[c].
void preprocess_images(const Dataset& data, int64_t first, int64_t count, float scale,
                       const std::vector<float>& mean, const std::vector<float>& std, float* out);

}  // namespace ftcnn
