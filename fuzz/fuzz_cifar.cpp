// The CIFAR-10 and CIFAR-100 binary readers (engine/io/cifar_dataset.hpp) on a directory made from the
// input: byte 0 chooses CIFAR-10 or CIFAR-100 (bit 0), the train or test split (bit 1) and an image limit
// (bits 2-3: none, 1, 7, 1000); a u16 length and that many bytes are the class-name file; the rest is the
// binary file (every data_batch_N.bin of CIFAR-10's train split gets it). The images read are preprocessed.
#include <filesystem>
#include <string_view>

#include "engine/io/cifar_dataset.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const bool cifar100 = (data[0] & 1) != 0;
  const std::string split = (data[0] & 2) != 0 ? "train" : "test";
  static const int64_t kLimits[] = {0, 1, 7, 1000};
  const int64_t limit = kLimits[(data[0] >> 2) & 3];
  const size_t names_length = std::min<size_t>(data[1] | (data[2] << 8), size - 3);
  const std::string_view names(reinterpret_cast<const char*>(data) + 3, names_length);
  const uint8_t* records = data + 3 + names_length;
  const size_t records_size = size - 3 - names_length;

  // A fresh directory each time: a CIFAR-100 file left by the last input would change which reader runs.
  const std::string dir = ftcnn::fuzz::scratch_directory() + "/cifar";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directory(dir);
  if (cifar100) {
    ftcnn::fuzz::write_scratch_file("cifar/fine_label_names.txt", names);
    ftcnn::fuzz::write_scratch_file("cifar/" + split + ".bin", records, records_size);
  } else {
    ftcnn::fuzz::write_scratch_file("cifar/batches.meta.txt", names);
    if (split == "test") {
      ftcnn::fuzz::write_scratch_file("cifar/test_batch.bin", records, records_size);
    } else {
      for (int i = 1; i <= 5; ++i)
        ftcnn::fuzz::write_scratch_file("cifar/data_batch_" + std::to_string(i) + ".bin", records,
                                        records_size);
    }
  }
  ftcnn::fuzz::expect_clean_outcome([&] {
    const ftcnn::Dataset dataset = ftcnn::load_cifar(dir, split, limit);
    const int64_t count = std::min<int64_t>(dataset.count, 4);
    std::vector<float> images(static_cast<size_t>(count) * 3 * 32 * 32);
    ftcnn::preprocess_images(dataset, 0, count, 1.0f / 255, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f},
                             images.data());
  });
  return 0;
}
