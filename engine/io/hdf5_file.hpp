// A thin RAII layer over the HDF5 C API: owned ids, and the few reads and writes ftcnn needs. Every failure
// throws ftcnn::Error naming the file and the object, never HDF5's own stack dump.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"

namespace ftcnn {

// Owns one HDF5 identifier and closes it with the matching H5?close.
class H5Id {
 public:
  H5Id() = default;
  explicit H5Id(hid_t id) : id_(id) {}
  ~H5Id();
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  H5Id(H5Id&& other) noexcept : id_(other.id_) { other.id_ = H5I_INVALID_HID; }
  H5Id& operator=(H5Id&& other) noexcept;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Gives the id up without closing it.
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Creation properties for a dataset or group (H5P_DATASET_CREATE, H5P_GROUP_CREATE) without modification
// times in the object header: the same content gives the same bytes, so two runs' files compare with cmp
// (the provenance's time follows SOURCE_DATE_EPOCH).
H5Id untimed_creation_properties(hid_t property_class);

class H5File;

// Writes an HDF5 file through AtomicFile (engine/io/atomic_file.hpp): `fill` writes into a fresh file; the
// target appears only once the file has closed cleanly and reached the disk.
void write_hdf5_file(const std::string& path, const std::function<void(H5File&)>& fill);

class H5File {
 public:
  // Throws "<path>: no such file" / "<path>: not an HDF5 file" / "<path>: cannot open".
  static H5File open_read(const std::string& path);
  // Creates (truncating) a file for writing; messages name it `shown_as` when given (the target of a
  // temporary).
  static H5File create(const std::string& path, const std::string& shown_as = "");

  const std::string& path() const { return path_; }
  hid_t root() const { return file_.get(); }
  // Closes the file now; throws "<path>: write failed (disk full?)" when HDF5 cannot finish it.
  void close();

  bool has_attribute(const std::string& name) const;
  // Reads a string attribute of the root (fixed or variable length); nullopt when absent.
  std::optional<std::string> string_attribute(const std::string& name) const;
  std::optional<int64_t> int_attribute(const std::string& name) const;
  std::optional<double> float_attribute(const std::string& name) const;
  void write_string_attribute(const std::string& name, const std::string& value);
  void write_int_attribute(const std::string& name, int64_t value);

  bool has_group(const std::string& path) const;
  void create_group(const std::string& path);
  // Names of the datasets directly in a group ("/" for the root), sorted.
  std::vector<std::string> dataset_names(const std::string& group) const;
  // Names of the groups directly in a group ("/" for the root), sorted.
  std::vector<std::string> group_names(const std::string& group) const;
  bool has_dataset(const std::string& path) const;
  // Reads a floating-point dataset as float32; throws naming the dataset on a wrong type.
  Tensor read_tensor(const std::string& path) const;
  // Shape of a dataset.
  Shape dataset_shape(const std::string& path) const;
  // Writes a float32 dataset (gzip + shuffle when `compress` and it is not tiny).
  void write_tensor(const std::string& path, const Shape& shape, const float* data, bool compress = true);

 private:
  H5File(std::string path, hid_t id) : path_(std::move(path)), file_(id) {}
  std::string path_;
  H5Id file_;
};

}  // namespace ftcnn
