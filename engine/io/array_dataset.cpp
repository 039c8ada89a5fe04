#include "engine/io/array_dataset.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>

#include "engine/error.hpp"
#include "engine/io/hdf5_file.hpp"
#include "engine/io/zip_reader.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {
namespace {

// What an array holds: kind 'u' / 'i' (integers), 'f' (floats), 'S' (byte strings), 'U' (UTF-32 strings),
// each element `size` bytes, little-endian.
struct ArrayInfo {
  char kind = 0;
  int size = 0;
  std::vector<int64_t> shape;
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t row_elements() const {
    int64_t n = 1;
    for (size_t i = 1; i < shape.size(); ++i) n = checked_product(n, shape[i], "an array's shape");
    return n;
  }
};

// The arrays of one file, whatever holds them.
class ArrayFile {
 public:
  virtual ~ArrayFile() = default;
  virtual std::vector<std::string> names() const = 0;
  virtual bool has(const std::string& name) const = 0;
  virtual ArrayInfo info(const std::string& name) const = 0;
  // Reads the first `rows` rows of an array, `block` rows at a time, in order: `use(first, n, bytes)` gets
  // each block's raw elements as info() describes them.
  virtual void read_rows(const std::string& name, int64_t rows, int64_t block,
                         const std::function<void(int64_t, int64_t, const unsigned char*)>& use) const = 0;
  // A whole array of strings.
  virtual std::vector<std::string> strings(const std::string& name) const = 0;
  virtual std::optional<int64_t> num_classes() const = 0;
  virtual const std::string& path() const = 0;
};

std::string list_names(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
  return text.empty() ? "none" : text;
}

int64_t integer_at(const unsigned char* at, const ArrayInfo& info) {
  uint64_t bits = 0;
  for (int b = info.size - 1; b >= 0; --b) bits = (bits << 8) | at[b];
  if (info.kind == 'i' && info.size < 8 && (at[info.size - 1] & 0x80))
    bits |= ~uint64_t{0} << (8 * info.size);
  if (info.kind == 'u' && info.size == 8 && bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return -1;  // reported as out of range
  return static_cast<int64_t>(bits);
}

float float_at(const unsigned char* at, int size) {
  if (size == 4) {
    float value;
    std::memcpy(&value, at, 4);
    return value;
  }
  double value;
  std::memcpy(&value, at, 8);
  return static_cast<float>(value);
}

std::vector<int64_t> read_integers(const ArrayFile& file, const std::string& name, const ArrayInfo& info) {
  FT_CHECK((info.kind == 'u' || info.kind == 'i') && info.size > 0 && info.size <= 8,
           "{}: '{}' is not an integer array", file.path(), name);
  check_fits_memory(
      checked_product(checked_product(info.rows(), info.row_elements(), file.path()), 8, file.path()),
      file.path());
  std::vector<int64_t> values;
  values.reserve(static_cast<size_t>(info.rows() * info.row_elements()));
  file.read_rows(name, info.rows(), info.rows(), [&](int64_t, int64_t n, const unsigned char* raw) {
    for (int64_t i = 0; i < n * info.row_elements(); ++i)
      values.push_back(integer_at(raw + i * info.size, info));
  });
  return values;
}

std::string stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

Dataset load_arrays(const ArrayFile& file, const std::string& split, int64_t limit) {
  const std::string& path = file.path();
  FT_CHECK(split == "test" || split == "train", "unknown split '{}' (expected test or train)", split);
  std::string x = "x_" + split, y = "y_" + split;
  if (split == "test" && !(file.has(x) && file.has(y))) x = "images", y = "labels";
  FT_CHECK(file.has(x) && file.has(y),
           "{}: no arrays for the {} split: looked for {} (it has: {}; docs/datasets.md)", path, split,
           split == "test" ? "x_test and y_test, or images and labels" : "x_train and y_train",
           list_names(file.names()));
  const ArrayInfo images = file.info(x);
  const ArrayInfo label_info = file.info(y);
  // [N], or Keras's [N, 1].
  FT_CHECK(label_info.shape.size() == 1 || (label_info.shape.size() == 2 && label_info.shape[1] == 1),
           "{}: '{}' must be one label per image (shape [N] or [N, 1]), is {}", path, y,
           Shape(label_info.shape).str());
  FT_CHECK(label_info.shape[0] == images.rows() && images.shape.size() >= 3,
           "{}: '{}' of shape {} and '{}' of shape {} are not N images and N labels", path, x,
           Shape(images.shape).str(), y, Shape(label_info.shape).str());
  const std::vector<int64_t> labels = read_integers(file, y, label_info);

  Dataset data;
  data.name = stem(path);
  data.source = path;
  const bool is_float = images.kind == 'f' && (images.size == 4 || images.size == 8);
  FT_CHECK(
      is_float || (images.kind == 'u' && images.size == 1),
      "{}: '{}' must be uint8 N x H x W x C or float32 N x C x H x W images (docs/datasets.md), it holds "
      "{}{}",
      path, x,
      images.kind == 'f'   ? "float"
      : images.kind == 'i' ? "int"
      : images.kind == 'u' ? "uint"
                           : "?",
      images.size * 8);
  FT_CHECK(images.shape.size() <= 4, "{}: '{}' of shape {} is not N images", path, x,
           Shape(images.shape).str());
  const std::vector<int64_t>& s = images.shape;
  if (s.size() == 3) {
    data.item = Shape{1, s[1], s[2]};
  } else {
    data.item = is_float ? Shape{s[1], s[2], s[3]} : Shape{s[3], s[1], s[2]};  // NCHW : NHWC
  }
  FT_CHECK(data.item.numel() > 0, "{}: '{}' holds empty images {}", path, x, data.item.str());
  data.scaled = is_float;

  // Classes: given, else one per class name, else the largest label + 1 (of the whole file, so that
  // --images N of a file sorted by class still counts them all).
  std::optional<int64_t> classes = file.num_classes();
  if (file.has("class_names")) {
    data.class_names = file.strings("class_names");
    if (!classes) classes = static_cast<int64_t>(data.class_names.size());
  }
  int64_t largest = -1;
  for (size_t i = 0; i < labels.size(); ++i) {
    FT_CHECK(labels[i] >= 0 && labels[i] < (int64_t{1} << 30), "{}: label {} out of range at image {}", path,
             labels[i], i);
    largest = std::max(largest, labels[i]);
  }
  if (!classes) classes = largest + 1;
  FT_CHECK(*classes > 0 && *classes < (int64_t{1} << 30), "{}: {} classes", path, *classes);
  data.num_classes = static_cast<int>(*classes);
  FT_CHECK(largest < data.num_classes, "{}: label {} out of range [0, {})", path, largest, data.num_classes);

  const int64_t count = limit > 0 ? std::min(limit, images.rows()) : images.rows();
  const int64_t item = data.item.numel();
  const std::string what = path + "'s images";
  check_fits_memory(checked_product(checked_product(count, item, what), is_float ? 4 : 1, what), what);
  if (is_float) {
    data.values.resize(static_cast<size_t>(count * item));
  } else {
    data.pixels.resize(static_cast<size_t>(count * item));
  }
  const int64_t channels = data.item[0], plane = data.item[1] * data.item[2];
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 24) / (item * images.size));
  file.read_rows(x, count, block, [&](int64_t first, int64_t n, const unsigned char* raw) {
    if (is_float) {
      float* out = data.values.data() + first * item;
      for (int64_t i = 0; i < n * item; ++i) out[i] = float_at(raw + i * images.size, images.size);
      return;
    }
    // HWC -> CHW, the layout the engine's inputs have.
    for (int64_t k = 0; k < n; ++k) {
      const unsigned char* src = raw + k * item;
      uint8_t* dst = data.pixels.data() + (first + k) * item;
      for (int64_t p = 0; p < plane; ++p) {
        for (int64_t c = 0; c < channels; ++c) dst[c * plane + p] = src[p * channels + c];
      }
    }
  });
  if (is_float) {
    // Float images are taken as scaled to [0, 1], with the model's mean and std still to apply: raw 0..255
    // values, or values already normalised, would give a wrong accuracy without a word.
    const auto [low, high] = std::minmax_element(data.values.begin(), data.values.end());
    FT_CHECK(low == data.values.end() || (*low >= -0.01f && *high <= 1.01f),
             "{}: float images must be scaled to [0, 1] (ftcnn applies the model's mean and std; "
             "docs/datasets.md), but '{}' spans [{}, {}]",
             path, x, *low, *high);
  }
  data.count = count;
  data.labels.assign(labels.begin(), labels.begin() + count);
  check_dataset(data);
  return data;
}

// --- .npz: a zip of .npy files -------------------------------------------------------------------------

// Parses an .npy header ("\x93NUMPY", version, length, then a Python dict literal) from a member.
ArrayInfo read_npy_header(ZipArchive::Reader& in) {
  const std::string what = in.what();
  unsigned char magic[10];
  in.read(magic, 8);
  FT_CHECK(std::memcmp(magic, "\x93NUMPY", 6) == 0 && magic[6] >= 1 && magic[6] <= 3, "{}: not an .npy array",
           what);
  uint64_t length = 0;
  if (magic[6] == 1) {
    in.read(magic + 8, 2);
    length = magic[8] | (magic[9] << 8);
  } else {
    unsigned char four[4];
    in.read(four, 4);
    length = four[0] | (four[1] << 8) | (four[2] << 16) | (static_cast<uint64_t>(four[3]) << 24);
  }
  FT_CHECK(length <= (1 << 20) && length <= in.left(), "{}: damaged .npy header", what);
  std::string header(static_cast<size_t>(length), '\0');
  in.read(header.data(), length);

  const auto value_of = [&](const char* key) -> size_t {
    const size_t at = header.find(std::string("'") + key + "'");
    FT_CHECK(at != std::string::npos, "{}: .npy header without '{}'", what, key);
    const size_t colon = header.find(':', at);
    FT_CHECK(colon != std::string::npos, "{}: damaged .npy header", what);
    return header.find_first_not_of(' ', colon + 1);
  };
  ArrayInfo info;
  size_t at = value_of("descr");
  FT_CHECK(at != std::string::npos && (header[at] == '\'' || header[at] == '"'),
           "{}: a structured array (only plain numbers and strings are read)", what);
  const size_t close = header.find(header[at], at + 1);
  FT_CHECK(close != std::string::npos, "{}: damaged .npy header", what);
  const std::string descr = header.substr(at + 1, close - at - 1);
  FT_CHECK(descr.size() >= 3 && descr[0] != '>', "{}: dtype '{}' is not a little-endian number or string",
           what, descr);
  info.kind = descr[1];
  FT_CHECK(info.kind != 'O',
           "{}: an array of Python objects (saved with allow_pickle; only numbers and "
           "strings are read)",
           what);
  int64_t count = 0;
  for (size_t i = 2; i < descr.size(); ++i) {
    FT_CHECK(descr[i] >= '0' && descr[i] <= '9' && count < (1 << 20), "{}: dtype '{}' not understood", what,
             descr);
    count = count * 10 + (descr[i] - '0');
  }
  info.size = static_cast<int>(info.kind == 'U' ? count * 4 : count);
  FT_CHECK(std::string("uifSUb").find(info.kind) != std::string::npos && info.size > 0,
           "{}: dtype '{}' not understood", what, descr);
  if (info.kind == 'b') info.kind = 'u';  // bools read as 0 / 1
  at = value_of("fortran_order");
  FT_CHECK(at != std::string::npos && header.compare(at, 5, "False") == 0,
           "{}: a Fortran-order array (save a C-order one, np.ascontiguousarray)", what);
  at = value_of("shape");
  FT_CHECK(at != std::string::npos && header[at] == '(', "{}: damaged .npy header", what);
  const size_t end = header.find(')', at);
  FT_CHECK(end != std::string::npos, "{}: damaged .npy header", what);
  int64_t elements = 1;
  for (size_t i = at + 1; i < end;) {
    if (header[i] == ' ' || header[i] == ',') {
      ++i;
      continue;
    }
    FT_CHECK(header[i] >= '0' && header[i] <= '9', "{}: damaged .npy shape", what);
    int64_t dim = 0;
    for (; i < end && header[i] >= '0' && header[i] <= '9'; ++i) {
      FT_CHECK(dim < (int64_t{1} << 40), "{}: an impossible .npy shape", what);
      dim = dim * 10 + (header[i] - '0');
    }
    info.shape.push_back(dim);
    elements = checked_product(elements, dim, what);
  }
  FT_CHECK(info.shape.size() <= 8, "{}: an array of {} dimensions", what, info.shape.size());
  FT_CHECK(checked_product(elements, info.size, what) == static_cast<int64_t>(in.left()),
           "{}: {} elements of {} bytes, but {} bytes of data", what, elements, info.size, in.left());
  return info;
}

class NpzArrays : public ArrayFile {
 public:
  explicit NpzArrays(const std::string& path) : archive_(path) {}
  const std::string& path() const override { return archive_.path(); }
  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& m : archive_.members()) {
      if (m.name.size() > 4 && m.name.compare(m.name.size() - 4, 4, ".npy") == 0)
        out.push_back(m.name.substr(0, m.name.size() - 4));
    }
    return out;
  }
  bool has(const std::string& name) const override { return archive_.find(name + ".npy") != nullptr; }
  ArrayInfo info(const std::string& name) const override {
    auto in = open(name);
    return read_npy_header(*in);
  }
  void read_rows(const std::string& name, int64_t rows, int64_t block,
                 const std::function<void(int64_t, int64_t, const unsigned char*)>& use) const override {
    auto in = open(name);
    const ArrayInfo info = read_npy_header(*in);
    const int64_t row_bytes = info.row_elements() * info.size;
    std::vector<unsigned char> buffer(static_cast<size_t>(std::min(block, rows) * row_bytes));
    for (int64_t first = 0; first < rows; first += block) {
      const int64_t n = std::min(block, rows - first);
      in->read(buffer.data(), static_cast<uint64_t>(n * row_bytes));
      use(first, n, buffer.data());
    }
  }
  std::vector<std::string> strings(const std::string& name) const override {
    auto in = open(name);
    const ArrayInfo info = read_npy_header(*in);
    FT_CHECK((info.kind == 'S' || info.kind == 'U') && info.shape.size() == 1,
             "{}: '{}' is not a list of strings", path(), name);
    std::vector<std::string> out;
    std::vector<unsigned char> raw(static_cast<size_t>(info.size));
    for (int64_t i = 0; i < info.shape[0]; ++i) {
      in->read(raw.data(), raw.size());
      out.push_back(info.kind == 'S' ? bytes_text(raw) : utf32_text(raw));
    }
    return out;
  }
  std::optional<int64_t> num_classes() const override {
    if (!has("num_classes")) return std::nullopt;
    const ArrayInfo i = info("num_classes");
    FT_CHECK(i.rows() * i.row_elements() == 1, "{}: 'num_classes' must hold one integer", path());
    return read_integers(*this, "num_classes", i)[0];
  }

 private:
  std::unique_ptr<ZipArchive::Reader> open(const std::string& name) const {
    const ZipArchive::Member* member = archive_.find(name + ".npy");
    FT_CHECK(member != nullptr, "{}: no array '{}'", path(), name);
    return archive_.open(*member);
  }
  static std::string bytes_text(const std::vector<unsigned char>& raw) {
    std::string text(raw.begin(), raw.end());
    text.erase(std::find(text.begin(), text.end(), '\0'), text.end());
    return text;
  }
  // numpy's 'U' strings: UTF-32LE code points, NUL-padded.
  static std::string utf32_text(const std::vector<unsigned char>& raw) {
    std::string text;
    for (size_t i = 0; i + 4 <= raw.size(); i += 4) {
      const uint32_t c =
          raw[i] | (raw[i + 1] << 8) | (raw[i + 2] << 16) | (static_cast<uint32_t>(raw[i + 3]) << 24);
      if (c == 0) break;
      if (c < 0x80) {
        text += static_cast<char>(c);
      } else if (c < 0x800) {
        text += static_cast<char>(0xC0 | (c >> 6));
        text += static_cast<char>(0x80 | (c & 0x3F));
      } else if (c < 0x10000) {
        text += static_cast<char>(0xE0 | (c >> 12));
        text += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        text += static_cast<char>(0x80 | (c & 0x3F));
      } else {
        text += static_cast<char>(0xF0 | ((c >> 18) & 0x07));
        text += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        text += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        text += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    return text;
  }
  ZipArchive archive_;
};

// --- .h5 ---------------------------------------------------------------------------------------------------

class H5Arrays : public ArrayFile {
 public:
  explicit H5Arrays(const std::string& path) : file_(H5File::open_read(path)) {}
  const std::string& path() const override { return file_.path(); }
  std::vector<std::string> names() const override { return file_.dataset_names("/"); }
  bool has(const std::string& name) const override { return file_.has_dataset(name); }
  ArrayInfo info(const std::string& name) const override {
    H5Id dataset = open(name);
    H5Id type(H5Dget_type(dataset.get()));
    ArrayInfo info;
    const H5T_class_t cls = H5Tget_class(type.get());
    info.size = static_cast<int>(H5Tget_size(type.get()));
    if (cls == H5T_INTEGER) {
      info.kind = H5Tget_sign(type.get()) == H5T_SGN_NONE ? 'u' : 'i';
    } else if (cls == H5T_FLOAT) {
      info.kind = 'f';
    } else if (cls == H5T_STRING) {
      info.kind = 'S';
    } else {
      FT_THROW("{}: dataset '{}' holds neither numbers nor strings", path(), name);
    }
    FT_CHECK(info.kind == 'S' || info.size == 1 || info.size == 2 || info.size == 4 || info.size == 8,
             "{}: dataset '{}' has {}-byte elements", path(), name, info.size);
    info.shape = file_.dataset_shape(name).dims();
    return info;
  }
  void read_rows(const std::string& name, int64_t rows, int64_t block,
                 const std::function<void(int64_t, int64_t, const unsigned char*)>& use) const override {
    const ArrayInfo info = this->info(name);
    H5Id dataset = open(name);
    H5Id space(H5Dget_space(dataset.get()));
    const hid_t memory_type = native_type(info);
    const int64_t row_bytes = info.row_elements() * info.size;
    std::vector<unsigned char> buffer(static_cast<size_t>(std::min(block, rows) * row_bytes));
    std::vector<hsize_t> start(info.shape.size(), 0), count(info.shape.begin(), info.shape.end());
    for (int64_t first = 0; first < rows; first += block) {
      const int64_t n = std::min(block, rows - first);
      if (!info.shape.empty()) {
        start[0] = static_cast<hsize_t>(first);
        count[0] = static_cast<hsize_t>(n);
        FT_CHECK(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                     nullptr) >= 0,
                 "{}: cannot select rows of '{}'", path(), name);
      }
      H5Id memory(info.shape.empty()
                      ? H5Screate(H5S_SCALAR)
                      : H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr));
      FT_CHECK(
          H5Dread(dataset.get(), memory_type, memory.get(), space.get(), H5P_DEFAULT, buffer.data()) >= 0,
          "{}: cannot read dataset '{}' (damaged file?)", path(), name);
      use(first, n, buffer.data());
    }
  }
  std::vector<std::string> strings(const std::string& name) const override {
    H5Id dataset = open(name);
    H5Id type(H5Dget_type(dataset.get()));
    H5Id space(H5Dget_space(dataset.get()));
    FT_CHECK(H5Tget_class(type.get()) == H5T_STRING && H5Sget_simple_extent_ndims(space.get()) == 1,
             "{}: '{}' is not a list of strings", path(), name);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    FT_CHECK(n >= 0 && n < (1 << 24), "{}: '{}' holds {} strings", path(), name, n);
    std::vector<std::string> out;
    if (H5Tis_variable_str(type.get()) > 0) {
      H5Id memory(H5Tcopy(H5T_C_S1));
      H5Tset_size(memory.get(), H5T_VARIABLE);
      H5Tset_cset(memory.get(), H5Tget_cset(type.get()));
      std::vector<char*> values(static_cast<size_t>(n), nullptr);
      FT_CHECK(H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0,
               "{}: cannot read '{}'", path(), name);
      for (char* v : values) out.emplace_back(v != nullptr ? v : "");
      H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, values.data());
      return out;
    }
    const size_t size = H5Tget_size(type.get());
    std::vector<char> raw(size * static_cast<size_t>(n));
    FT_CHECK(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) >= 0,
             "{}: cannot read '{}'", path(), name);
    for (hssize_t i = 0; i < n; ++i) {
      std::string text(raw.data() + static_cast<size_t>(i) * size, size);
      text.erase(std::find(text.begin(), text.end(), '\0'), text.end());
      out.push_back(text);
    }
    return out;
  }
  std::optional<int64_t> num_classes() const override {
    if (auto value = file_.int_attribute("num_classes")) return value;
    if (!has("num_classes")) return std::nullopt;
    const ArrayInfo i = info("num_classes");
    FT_CHECK(i.rows() * i.row_elements() == 1, "{}: 'num_classes' must hold one integer", path());
    return read_integers(*this, "num_classes", i)[0];
  }

 private:
  H5Id open(const std::string& name) const {
    FT_CHECK(has(name), "{}: no dataset '{}'", path(), name);
    H5Id dataset(H5Dopen2(file_.root(), name.c_str(), H5P_DEFAULT));
    FT_CHECK(dataset.valid(), "{}: cannot open dataset '{}'", path(), name);
    return dataset;
  }
  static hid_t native_type(const ArrayInfo& info) {
    if (info.kind == 'f') return info.size == 4 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    const bool u = info.kind == 'u';
    switch (info.size) {
      case 1:
        return u ? H5T_NATIVE_UINT8 : H5T_NATIVE_INT8;
      case 2:
        return u ? H5T_NATIVE_UINT16 : H5T_NATIVE_INT16;
      case 4:
        return u ? H5T_NATIVE_UINT32 : H5T_NATIVE_INT32;
      default:
        return u ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64;
    }
  }
  H5File file_;
};

}  // namespace

Dataset load_npz_dataset(const std::string& path, const std::string& split, int64_t limit) {
  return load_arrays(NpzArrays(path), split, limit);
}

Dataset load_h5_dataset(const std::string& path, const std::string& split, int64_t limit) {
  return load_arrays(H5Arrays(path), split, limit);
}

}  // namespace ftcnn
