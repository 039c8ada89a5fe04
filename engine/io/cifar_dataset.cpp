#include "engine/io/cifar_dataset.hpp"

#include <algorithm>

#include <fstream>

#include "engine/error.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Appends the records of one file; `label_bytes` is 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine).
void read_records(const std::string& path, int label_bytes, int num_classes, int64_t limit, Dataset& data) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  FT_CHECK(in, "{}: cannot open", path);
  const int64_t size = static_cast<int64_t>(in.tellg());
  const int64_t record = label_bytes + kCifarPixels;
  FT_CHECK(size > 0 && size % record == 0,
           "{}: truncated or not a CIFAR file ({} bytes is not a whole number of "
           "{}-byte records)",
           path, size, record);
  int64_t records = size / record;
  if (limit > 0) records = std::min(records, limit - data.count);
  // Sized from the file before anything is read: a huge (or sparse) file fails here, not in the allocator.
  check_fits_memory(checked_product(data.count + records, kCifarPixels, path), path + "'s images");
  data.pixels.reserve(static_cast<size_t>((data.count + records) * kCifarPixels));
  data.labels.reserve(static_cast<size_t>(data.count + records));
  in.seekg(0);
  std::vector<uint8_t> buffer(static_cast<size_t>(record));
  for (int64_t r = 0; r < records; ++r) {
    in.read(reinterpret_cast<char*>(buffer.data()), record);
    FT_CHECK(in, "{}: read failed at record {}", path, r);
    const int label = buffer[static_cast<size_t>(label_bytes - 1)];
    FT_CHECK(label < num_classes, "{}: label {} out of range [0, {}) at record {}", path, label, num_classes,
             r);
    if (label_bytes == 2)
      FT_CHECK(buffer[0] < 20, "{}: coarse label {} out of range at record {}", path, buffer[0], r);
    data.labels.push_back(label);
    data.pixels.insert(data.pixels.end(), buffer.begin() + label_bytes, buffer.end());
    ++data.count;
  }
}

}  // namespace

Dataset load_cifar(const std::string& directory, const std::string& split, int64_t limit) {
  FT_CHECK(split == "test" || split == "train", "unknown split '{}' (expected test or train)", split);
  Dataset data;
  std::vector<std::string> files;
  int label_bytes = 1;
  if (is_regular_file(directory + "/test_batch.bin") || is_regular_file(directory + "/data_batch_1.bin")) {
    data.name = "cifar10";
    data.num_classes = 10;
    if (split == "test") {
      files = {directory + "/test_batch.bin"};
    } else {
      for (int i = 1; i <= 5; ++i) files.push_back(directory + "/data_batch_" + std::to_string(i) + ".bin");
    }
    data.class_names = read_lines(directory + "/batches.meta.txt");
  } else if (is_regular_file(directory + "/test.bin") || is_regular_file(directory + "/train.bin")) {
    data.name = "cifar100";
    data.num_classes = 100;
    label_bytes = 2;
    files = {directory + "/" + split + ".bin"};
    data.class_names = read_lines(directory + "/fine_label_names.txt");
  } else {
    FT_THROW(
        "{}: no CIFAR binary files (test_batch.bin, data_batch_N.bin, test.bin or train.bin); "
        "scripts/prepare_cifar makes them from a JPEG pack",
        directory);
  }
  for (const std::string& file : files) {
    FT_CHECK(is_regular_file(file), "{}: no such file", file);
    if (limit > 0 && data.count >= limit) break;
    read_records(file, label_bytes, data.num_classes, limit, data);
    data.source += (data.source.empty() ? "" : ",") + file;
  }
  if (static_cast<int>(data.class_names.size()) != data.num_classes) data.class_names.clear();
  return data;
}

}  // namespace ftcnn
