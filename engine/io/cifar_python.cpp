#include "engine/io/cifar_python.hpp"

#include "engine/error.hpp"
#include "engine/io/cifar_dataset.hpp"
#include "engine/io/pickle_reader.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {
namespace {

const PickleValue& entry(const PickleValue& dict, const std::string& key, const std::string& path) {
  const PickleValue* value = dict.get(key);
  FT_CHECK(value != nullptr, "{}: no '{}' in the pickled batch", path, key);
  return *value;
}

std::vector<int64_t> integers(const PickleValue& value, const std::string& path, const std::string& key) {
  std::vector<int64_t> out;
  if (value.kind == PickleValue::Kind::kList || value.kind == PickleValue::Kind::kTuple) {
    for (const PickleValue* item : value.items) {
      FT_CHECK(item->kind == PickleValue::Kind::kInt, "{}: '{}' holds something other than integers", path,
               key);
      out.push_back(item->integer);
    }
    return out;
  }
  // A numpy array of integers, as a batch re-saved from numpy may hold.
  const int size = numpy_item_size(value.text);
  FT_CHECK(value.kind == PickleValue::Kind::kArray && value.shape.size() == 1 && size > 0 &&
               value.text.find_first_of("ui", value.text.size() - 2) != std::string::npos,
           "{}: '{}' is neither a list of integers nor a 1-D integer array", path, key);
  FT_CHECK(static_cast<int64_t>(value.data.size()) == checked_product(value.shape[0], size, path),
           "{}: '{}' holds {} bytes for {} integers of {} bytes", path, key, value.data.size(),
           value.shape[0], size);
  const bool is_signed = value.text.find('i') != std::string::npos;
  for (int64_t i = 0; i < value.shape[0]; ++i) {
    const unsigned char* at = reinterpret_cast<const unsigned char*>(value.data.data()) + i * size;
    uint64_t bits = 0;
    for (int b = size - 1; b >= 0; --b) bits = (bits << 8) | at[b];
    if (is_signed && size < 8 && (at[size - 1] & 0x80)) bits |= ~uint64_t{0} << (8 * size);
    out.push_back(static_cast<int64_t>(bits));
  }
  return out;
}

std::vector<std::string> names(const std::string& path, const std::string& key) {
  const Pickle meta = Pickle::read_file(path);
  const PickleValue& list = entry(meta.root(), key, path);
  FT_CHECK(list.kind == PickleValue::Kind::kList, "{}: '{}' is not a list", path, key);
  std::vector<std::string> out;
  for (const PickleValue* item : list.items) {
    FT_CHECK(item->is_string(), "{}: '{}' holds something other than strings", path, key);
    out.push_back(item->text);
  }
  return out;
}

void read_batch(const std::string& path, const char* label_key, int64_t limit, Dataset& data) {
  const Pickle batch = Pickle::read_file(path);
  FT_CHECK(batch.root().kind == PickleValue::Kind::kDict, "{}: not a pickled dict", path);
  const PickleValue& pixels = entry(batch.root(), "data", path);
  FT_CHECK(pixels.kind == PickleValue::Kind::kArray && numpy_item_size(pixels.text) == 1 &&
               pixels.text.back() == '1' && pixels.text.find('u') != std::string::npos &&
               pixels.shape.size() == 2 && pixels.shape[1] == kCifarPixels,
           "{}: 'data' is not a uint8 array of N x {} pixels", path, kCifarPixels);
  const std::vector<int64_t> labels = integers(entry(batch.root(), label_key, path), path, label_key);
  const int64_t count = pixels.shape[0];
  FT_CHECK(static_cast<int64_t>(pixels.data.size()) == checked_product(count, kCifarPixels, path),
           "{}: 'data' holds {} bytes for {} x {} pixels", path, pixels.data.size(), count, kCifarPixels);
  FT_CHECK(static_cast<int64_t>(labels.size()) == count, "{}: {} labels for {} images", path, labels.size(),
           count);
  const int64_t take = limit > 0 ? std::min(count, limit - data.count) : count;
  check_fits_memory(checked_product(data.count + take, kCifarPixels, path), path + "'s images");
  for (int64_t i = 0; i < take; ++i) {
    FT_CHECK(labels[static_cast<size_t>(i)] >= 0 && labels[static_cast<size_t>(i)] < data.num_classes,
             "{}: label {} out of range [0, {}) at image {}", path, labels[static_cast<size_t>(i)],
             data.num_classes, i);
    data.labels.push_back(static_cast<int32_t>(labels[static_cast<size_t>(i)]));
  }
  data.pixels.insert(data.pixels.end(), pixels.data.begin(), pixels.data.begin() + take * kCifarPixels);
  data.count += take;
}

}  // namespace

Dataset load_cifar_python(const std::string& directory, const std::string& split, int64_t limit) {
  FT_CHECK(split == "test" || split == "train", "unknown split '{}' (expected test or train)", split);
  Dataset data;
  std::vector<std::string> files;
  const char* label_key = "labels";
  if (is_regular_file(directory + "/batches.meta")) {
    data.name = "cifar10";
    data.num_classes = 10;
    if (split == "test") {
      files = {directory + "/test_batch"};
    } else {
      for (int i = 1; i <= 5; ++i) files.push_back(directory + "/data_batch_" + std::to_string(i));
    }
    data.class_names = names(directory + "/batches.meta", "label_names");
  } else {
    FT_CHECK(is_regular_file(directory + "/meta"), "{}: no batches.meta or meta: not a CIFAR python folder",
             directory);
    data.name = "cifar100";
    data.num_classes = 100;
    label_key = "fine_labels";
    files = {directory + "/" + split};
    data.class_names = names(directory + "/meta", "fine_label_names");
  }
  for (const std::string& file : files) {
    FT_CHECK(is_regular_file(file), "{}: no such file", file);
    if (limit > 0 && data.count >= limit) break;
    read_batch(file, label_key, limit, data);
    data.source += (data.source.empty() ? "" : ",") + file;
  }
  if (static_cast<int>(data.class_names.size()) != data.num_classes) data.class_names.clear();
  return data;
}

}  // namespace ftcnn
