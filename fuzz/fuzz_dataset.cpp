// The dataset readers of untrusted files behind --data (engine/io/dataset.hpp): byte 0 chooses the file the
// rest becomes, bit 0: a CIFAR-10 python batch (test_batch, with a fixed batches.meta; the restricted pickle
// reader) or an .npz (the zip reader and the .npy parser); bit 1: an image limit of 1. The images read are
// preprocessed.
#include <filesystem>
#include <string_view>

#include "engine/io/dataset.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool pickle = (data[0] & 1) == 0;
  const int64_t limit = (data[0] & 2) != 0 ? 1 : 0;
  const std::string dir = ftcnn::fuzz::scratch_directory() + "/dataset";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directory(dir);
  std::string path = dir + "/images.npz";
  if (pickle) {
    // {'label_names': [b'a', ..., b'j']} as cPickle writes it.
    std::string meta = "\x80\x02}q\x01U\x0blabel_namesq\x02](";
    for (char c = 'a'; c <= 'j'; ++c) meta += std::string("U\x01") + c;
    meta += "es.";
    ftcnn::fuzz::write_scratch_file("dataset/batches.meta", meta);
    ftcnn::fuzz::write_scratch_file("dataset/test_batch", data + 1, size - 1);
    path = dir;
  } else {
    ftcnn::fuzz::write_scratch_file("dataset/images.npz", data + 1, size - 1);
  }
  ftcnn::fuzz::expect_clean_outcome([&] {
    const ftcnn::Dataset dataset = ftcnn::load_dataset(path, "test", limit);
    const int64_t count = std::min<int64_t>(dataset.count, 4);
    const int64_t channels = dataset.item.rank() == 3 ? dataset.item[0] : 1;
    std::vector<float> images(static_cast<size_t>(count * dataset.item.numel()));
    ftcnn::preprocess_images(dataset, 0, count, 1.0f / 255, std::vector<float>(channels, 0.5f),
                             std::vector<float>(channels, 0.25f), images.data());
  });
  return 0;
}
