// CIFAR-10 and CIFAR-100 in their official binary formats.
//   CIFAR-10:  data_batch_1..5.bin (train), test_batch.bin (test); record = label byte + 3072 pixel bytes.
//   CIFAR-100: train.bin, test.bin; record = coarse label byte + fine label byte + 3072 pixel bytes.
// Pixels are the R plane, then G, then B, each 32x32 row-major. scripts/prepare_cifar writes these files
// from the JPEG packs, so official downloads and prepared packs share this one reader. Class names come
// from batches.meta.txt / fine_label_names.txt when present.
#pragma once

#include <cstdint>
#include <string>

#include "engine/io/dataset.hpp"

namespace ftcnn {

// Bytes of one CIFAR image: 3 planes of 32 x 32 (the binary and the python files alike).
constexpr int64_t kCifarPixels = 3 * 32 * 32;

// Reads `split` ("test" or "train") from a directory of the binary files (load_dataset, dataset.hpp, reads
// any supported layout); `limit` > 0 keeps the first `limit` images. Throws
// naming the file on a missing file, a truncated file or a label out of range.
Dataset load_cifar(const std::string& directory, const std::string& split = "test", int64_t limit = 0);

}  // namespace ftcnn
