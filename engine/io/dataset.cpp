#include "engine/io/dataset.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "engine/error.hpp"
#include "engine/io/array_dataset.hpp"
#include "engine/io/cifar_dataset.hpp"
#include "engine/io/cifar_python.hpp"

namespace ftcnn {
namespace {

bool is_directory(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string lower_extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string extension = path.substr(dot);
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

enum class Layout { kNone, kCifarBinary, kCifarPython };

Layout folder_layout(const std::string& dir) {
  const auto has = [&](const char* name) { return is_regular_file(dir + "/" + name); };
  if (has("test_batch.bin") || has("data_batch_1.bin") || has("test.bin") || has("train.bin"))
    return Layout::kCifarBinary;
  if (((has("test_batch") || has("data_batch_1")) && has("batches.meta")) ||
      ((has("test") || has("train")) && has("meta")))
    return Layout::kCifarPython;
  return Layout::kNone;
}

// The folder names the official archives and torchvision's downloader unpack to.
constexpr const char* kKnownFolders[] = {"cifar-10-batches-bin", "cifar-10-batches-py", "cifar-100-binary",
                                         "cifar-100-python"};

Dataset load_folder(const std::string& dir, Layout layout, const std::string& split, int64_t limit) {
  return layout == Layout::kCifarBinary ? load_cifar(dir, split, limit)
                                        : load_cifar_python(dir, split, limit);
}

}  // namespace

Dataset load_dataset(const std::string& path, const std::string& split, int64_t limit) {
  FT_CHECK(split == "test" || split == "train", "unknown split '{}' (expected test or train)", split);
  FT_CHECK(limit >= 0, "an image count must be positive, got {}", limit);
  if (is_regular_file(path)) {
    const std::string extension = lower_extension(path);
    if (extension == ".npz") return load_npz_dataset(path, split, limit);
    if (extension == ".h5" || extension == ".hdf5") return load_h5_dataset(path, split, limit);
    FT_THROW("{}: not a dataset file (an .npz or .h5/.hdf5 of images and labels, docs/datasets.md)", path);
  }
  FT_CHECK(is_directory(path), "{}: no such file or directory", path);
  const std::string dir = path.size() > 1 && path.back() == '/' ? path.substr(0, path.size() - 1) : path;
  const Layout layout = folder_layout(dir);
  if (layout != Layout::kNone) return load_folder(dir, layout, split, limit);
  std::vector<std::string> found;
  for (const char* name : kKnownFolders) {
    if (folder_layout(dir + "/" + name) != Layout::kNone) found.push_back(dir + "/" + name);
  }
  if (found.size() == 1) return load_folder(found[0], folder_layout(found[0]), split, limit);
  FT_CHECK(found.empty(), "{}: holds {} datasets ({}, ...): give one of them", dir, found.size(), found[0]);
  FT_THROW(
      "{}: no dataset here: looked for CIFAR binary files (test_batch.bin, data_batch_N.bin, test.bin, "
      "train.bin), CIFAR python files (test_batch or data_batch_N with batches.meta; test or train with "
      "meta), "
      "or a folder cifar-10-batches-py, cifar-100-python, cifar-10-batches-bin or cifar-100-binary in it; "
      "an array file must end in .npz, .h5 or .hdf5 (docs/datasets.md)",
      dir);
}

bool is_regular_file(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

void check_dataset(const Dataset& data) {
  FT_CHECK(data.num_classes > 0, "{}: no classes", data.source);
  FT_CHECK(static_cast<int64_t>(data.labels.size()) == data.count, "{}: {} labels for {} images", data.source,
           data.labels.size(), data.count);
  const size_t expected = static_cast<size_t>(data.count * data.item.numel());
  FT_CHECK((data.scaled ? data.values.size() : data.pixels.size()) == expected,
           "{}: image data does not match {} images of {}", data.source, data.count, data.item.str());
  for (size_t i = 0; i < data.labels.size(); ++i) {
    FT_CHECK(data.labels[i] >= 0 && data.labels[i] < data.num_classes,
             "{}: label {} out of range [0, {}) at image {}", data.source, data.labels[i], data.num_classes,
             i);
  }
  FT_CHECK(data.class_names.empty() || static_cast<int>(data.class_names.size()) == data.num_classes,
           "{}: {} class names for {} classes", data.source, data.class_names.size(), data.num_classes);
}

Dataset evenly_spaced_subset(const Dataset& all, int64_t count) {
  if (count >= all.count) return all;
  FT_CHECK(count > 0, "an image count must be positive, got {}", count);
  Dataset subset;
  subset.name = all.name;
  subset.source = all.source;
  subset.num_classes = all.num_classes;
  subset.item = all.item;
  subset.scaled = all.scaled;
  subset.class_names = all.class_names;
  subset.count = count;
  const size_t item = static_cast<size_t>(all.item.numel());
  const auto pick = [&](const auto& from_buffer, auto& to_buffer) {
    to_buffer.resize(static_cast<size_t>(count) * item);
    for (int64_t k = 0; k < count; ++k) {
      const size_t from = static_cast<size_t>(k * all.count / count);
      std::copy_n(from_buffer.begin() + static_cast<std::ptrdiff_t>(from * item), item,
                  to_buffer.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(k) * item));
    }
  };
  if (all.scaled) {
    pick(all.values, subset.values);
  } else {
    pick(all.pixels, subset.pixels);
  }
  subset.labels.resize(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    subset.labels[static_cast<size_t>(k)] = all.labels[static_cast<size_t>(k * all.count / count)];
  }
  return subset;
}

void preprocess_images(const Dataset& data, int64_t first, int64_t count, float scale,
                       const std::vector<float>& mean, const std::vector<float>& std, float* out) {
  FT_CHECK(first >= 0 && count >= 0 && first + count <= data.count, "images [{}, {}) outside the {} of {}",
           first, first + count, data.count, data.source);
  const int64_t channels = data.item.rank() == 3 ? data.item[0] : 0;
  FT_CHECK(channels > 0 && data.item.numel() > 0, "{}: images of shape {} are not C, H, W", data.source,
           data.item.str());
  FT_CHECK(static_cast<int64_t>(mean.size()) == channels && static_cast<int64_t>(std.size()) == channels,
           "preprocessing gives {} mean and {} std values, but the images of {} have {} channels",
           mean.size(), std.size(), data.source, channels);
  const int64_t size = data.item.numel();
  const int64_t plane = size / channels;
  // Two loops rather than one with a branch inside: the 8-bit one is the hot path of every CIFAR run.
  if (data.scaled) {
    for (int64_t i = 0; i < count; ++i) {
      const float* src = data.values.data() + (first + i) * size;
      float* dst = out + i * size;
      for (int64_t c = 0; c < channels; ++c) {
        for (int64_t p = 0; p < plane; ++p) dst[c * plane + p] = (src[c * plane + p] - mean[c]) / std[c];
      }
    }
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* src = data.pixels.data() + (first + i) * size;
    float* dst = out + i * size;
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t p = 0; p < plane; ++p) {
        dst[c * plane + p] = (static_cast<float>(src[c * plane + p]) * scale - mean[c]) / std[c];
      }
    }
  }
}

}  // namespace ftcnn
