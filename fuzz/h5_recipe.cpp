#include "fuzz/h5_recipe.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace ftcnn::fuzz {
namespace {

constexpr int64_t kMaxElements = int64_t{1} << 18;
constexpr int kMaxEntries = 64;

// Reads the recipe's bytes front to back; past the end every read is zero.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t u16() {
    const uint16_t low = u8();
    return static_cast<uint16_t>(low | (u8() << 8));
  }
  std::string text(size_t length) {
    std::string s(length, '\0');
    for (char& c : s) c = static_cast<char>(u8());
    return s;
  }
  std::vector<uint8_t> bytes(size_t length) {
    std::vector<uint8_t> b(length, 0);
    const size_t available = at_ < size_ ? std::min(length, size_ - at_) : 0;
    if (available > 0) std::memcpy(b.data(), data_ + at_, available);
    at_ += length;
    return b;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// Closes an HDF5 identifier of any kind when it goes out of scope.
struct Id {
  hid_t id = H5I_INVALID_HID;
  explicit Id(hid_t i) : id(i) {}
  ~Id() {
    if (id < 0) return;
    switch (H5Iget_type(id)) {
      case H5I_FILE:
        H5Fclose(id);
        break;
      case H5I_GROUP:
        H5Gclose(id);
        break;
      case H5I_DATASET:
        H5Dclose(id);
        break;
      case H5I_ATTR:
        H5Aclose(id);
        break;
      case H5I_DATATYPE:
        H5Tclose(id);
        break;
      case H5I_DATASPACE:
        H5Sclose(id);
        break;
      case H5I_GENPROP_LST:
        H5Pclose(id);
        break;
      default:
        H5Oclose(id);
        break;
    }
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
};

// A value to write: its type, its dataspace and its bytes.
struct Value {
  hid_t type = H5I_INVALID_HID;  // owned when `owned_type`
  bool owned_type = false;
  hid_t space = H5I_INVALID_HID;
  std::vector<uint8_t> bytes;
  std::string text;
  const char* text_pointer = nullptr;  // a variable-length string is written through a char*
  bool variable_string = false;
  bool sparse = false;  // a dataset too large to write: created chunked, left unwritten
  int rank = 0;
  ~Value() {
    if (owned_type && type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
  }
  const void* buffer() const {
    return variable_string ? static_cast<const void*>(&text_pointer) : bytes.data();
  }
};

void read_value(Cursor& in, Value& v) {
  const int type = in.u8() % 7;
  if (type >= 5) {
    v.text = in.text(in.u16());
    v.space = H5Screate(H5S_SCALAR);
    v.type = H5Tcopy(H5T_C_S1);
    v.owned_type = true;
    if (type == 5) {
      H5Tset_size(v.type, H5T_VARIABLE);
      v.variable_string = true;
      v.text_pointer = v.text.c_str();
    } else {
      H5Tset_size(v.type, std::max<size_t>(v.text.size(), 1));
      v.bytes.assign(v.text.begin(), v.text.end());
      v.bytes.resize(std::max<size_t>(v.text.size(), 1), 0);
    }
    return;
  }
  static const hid_t kTypes[] = {H5T_NATIVE_FLOAT, H5T_NATIVE_DOUBLE, H5T_NATIVE_INT64, H5T_NATIVE_INT32,
                                 H5T_NATIVE_UINT8};
  static const size_t kSizes[] = {4, 8, 8, 4, 1};
  v.type = kTypes[type];
  const int rank = in.u8() % 5;
  hsize_t dims[4] = {0, 0, 0, 0};
  int64_t elements = 1;
  for (int d = 0; d < rank; ++d) {
    dims[d] = in.u16();
    elements = std::min<int64_t>(elements * static_cast<int64_t>(dims[d]), kMaxElements + 1);
  }
  v.space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, nullptr);
  // Beyond the cap a dataset is declared but not written: chunked, all fill value, its file tiny. Such a
  // file is legal HDF5, and its readers must check the declared size before they allocate.
  v.sparse = elements > kMaxElements;
  if (!v.sparse) v.bytes = in.bytes(static_cast<size_t>(elements) * kSizes[type]);
  v.rank = rank;
}

}  // namespace

void write_h5_recipe(const uint8_t* data, size_t size, const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // refused entries are expected, not news
  Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  if (file.id < 0) return;
  Id links(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(links.id, 1);
  Cursor in(data, size);
  for (int entry = 0; entry < kMaxEntries && !in.done(); ++entry) {
    const int kind = in.u8() % 3;
    const std::string object = in.text(in.u8());
    if (object.empty()) continue;
    if (kind == 0) {
      Id group(H5Gcreate2(file.id, object.c_str(), links.id, H5P_DEFAULT, H5P_DEFAULT));
      continue;
    }
    const std::string name = kind == 2 ? in.text(in.u8()) : std::string();
    Value value;
    read_value(in, value);
    if (value.space < 0 || value.type < 0) continue;
    if (kind == 2 && value.sparse) continue;  // an attribute is written whole
    if (kind == 1) {
      Id layout(H5Pcreate(H5P_DATASET_CREATE));
      if (value.sparse) {
        const hsize_t chunk[4] = {1, 1, 1, 1};
        H5Pset_chunk(layout.id, value.rank, chunk);
      }
      Id dataset(
          H5Dcreate2(file.id, object.c_str(), value.type, value.space, links.id, layout.id, H5P_DEFAULT));
      if (dataset.id >= 0 && !value.sparse)
        H5Dwrite(dataset.id, value.type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value.buffer());
    } else {
      Id target(H5Oopen(file.id, object.c_str(), H5P_DEFAULT));
      if (target.id < 0 || name.empty()) continue;
      Id attribute(H5Acreate2(target.id, name.c_str(), value.type, value.space, H5P_DEFAULT, H5P_DEFAULT));
      if (attribute.id >= 0) H5Awrite(attribute.id, value.type, value.buffer());
    }
  }
}

}  // namespace ftcnn::fuzz
