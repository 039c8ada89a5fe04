#include "engine/io/hdf5_file.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "engine/error.hpp"
#include "engine/io/atomic_file.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {
namespace {

// HDF5 prints its error stack to stderr by default; ftcnn reports its own one-line errors instead.
void silence_hdf5() {
  // No library cleanup at exit: after a failed close (a full disk), HDF5's exit handler would try to flush
  // the file again and crash the process after ftcnn has reported the error. Every file is closed
  // explicitly before exit. (Refused once the library is up; the first call is before any other.)
  H5dont_atexit();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

herr_t close_any(hid_t id) {
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      return H5Fclose(id);
    case H5I_GROUP:
      return H5Gclose(id);
    case H5I_DATASET:
      return H5Dclose(id);
    case H5I_ATTR:
      return H5Aclose(id);
    case H5I_DATATYPE:
      return H5Tclose(id);
    case H5I_DATASPACE:
      return H5Sclose(id);
    case H5I_GENPROP_LST:
      return H5Pclose(id);
    default:
      return H5Idec_ref(id);
  }
}

Shape space_shape(hid_t space, const std::string& what) {
  const int rank = H5Sget_simple_extent_ndims(space);
  FT_CHECK(rank >= 0, "{}: cannot read its shape", what);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(std::vector<int64_t>(dims.begin(), dims.end()));
}

// An attribute the readers below take as one value must hold exactly one: H5Aread writes every element, and
// an array attribute would overrun the one value it is read into.
void require_one_value(hid_t attr, const std::string& path, const std::string& name) {
  H5Id space(H5Aget_space(attr));
  const hssize_t count = space.valid() ? H5Sget_simple_extent_npoints(space.get()) : -1;
  FT_CHECK(count == 1, "{}: attribute '{}' holds {} values where one belongs", path, name, count);
}

}  // namespace

H5Id::~H5Id() {
  // Unchecked: a close that fails here follows a failed write, which has thrown its own one-line error
  // already; a file being written is closed by H5File::close, which reports.
  if (id_ >= 0) close_any(id_);
}

H5Id& H5Id::operator=(H5Id&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0) close_any(id_);
    id_ = other.id_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

H5File H5File::open_read(const std::string& path) {
  silence_hdf5();
  struct stat info {};
  FT_CHECK(stat(path.c_str(), &info) == 0, "{}: no such file", path);
  FT_CHECK(S_ISREG(info.st_mode), "{}: not a regular file", path);
  FT_CHECK(H5Fis_hdf5(path.c_str()) > 0, "{}: not an HDF5 file", path);
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  FT_CHECK(id >= 0, "{}: cannot open (damaged or truncated HDF5 file?)", path);
  return H5File(path, id);
}

void H5File::close() {
  if (!file_.valid()) return;
  const hid_t id = file_.release();
  FT_CHECK(H5Fclose(id) >= 0, "{}: write failed (disk full?)", path_);
}

void write_hdf5_file(const std::string& path, const std::function<void(H5File&)>& fill) {
  AtomicFile out(path);
  {
    H5File file = H5File::create(out.temporary(), path);
    fill(file);
    file.close();
  }
  out.commit();
}

H5File H5File::create(const std::string& path, const std::string& shown_as) {
  silence_hdf5();
  const std::string name = shown_as.empty() ? path : shown_as;
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  FT_CHECK(id >= 0, "{}: cannot create file", name);
  return H5File(name, id);
}

bool H5File::has_attribute(const std::string& name) const {
  return H5Aexists(root(), name.c_str()) > 0;
}

std::optional<std::string> H5File::string_attribute(const std::string& name) const {
  if (!has_attribute(name)) return std::nullopt;
  H5Id attr(H5Aopen(root(), name.c_str(), H5P_DEFAULT));
  FT_CHECK(attr.valid(), "{}: cannot open attribute '{}'", path_, name);
  require_one_value(attr.get(), path_, name);
  H5Id type(H5Aget_type(attr.get()));
  FT_CHECK(H5Tget_class(type.get()) == H5T_STRING, "{}: attribute '{}' is not a string", path_, name);
  if (H5Tis_variable_str(type.get()) > 0) {
    H5Id memtype(H5Tcopy(H5T_C_S1));
    H5Tset_size(memtype.get(), H5T_VARIABLE);
    H5Tset_cset(memtype.get(), H5Tget_cset(type.get()));
    char* value = nullptr;
    FT_CHECK(H5Aread(attr.get(), memtype.get(), &value) >= 0, "{}: cannot read attribute '{}'", path_, name);
    std::string result = value != nullptr ? value : "";
    H5free_memory(value);
    return result;
  }
  const size_t size = H5Tget_size(type.get());
  std::string buffer(size, '\0');
  FT_CHECK(H5Aread(attr.get(), type.get(), buffer.data()) >= 0, "{}: cannot read attribute '{}'", path_,
           name);
  buffer.erase(std::find(buffer.begin(), buffer.end(), '\0'), buffer.end());  // fixed-length: NUL-padded
  return buffer;
}

std::optional<int64_t> H5File::int_attribute(const std::string& name) const {
  if (!has_attribute(name)) return std::nullopt;
  H5Id attr(H5Aopen(root(), name.c_str(), H5P_DEFAULT));
  FT_CHECK(attr.valid(), "{}: cannot open attribute '{}'", path_, name);
  require_one_value(attr.get(), path_, name);
  H5Id type(H5Aget_type(attr.get()));
  FT_CHECK(H5Tget_class(type.get()) == H5T_INTEGER, "{}: attribute '{}' is not an integer", path_, name);
  int64_t value = 0;
  FT_CHECK(H5Aread(attr.get(), H5T_NATIVE_INT64, &value) >= 0, "{}: cannot read attribute '{}'", path_, name);
  return value;
}

std::optional<double> H5File::float_attribute(const std::string& name) const {
  if (!has_attribute(name)) return std::nullopt;
  H5Id attr(H5Aopen(root(), name.c_str(), H5P_DEFAULT));
  FT_CHECK(attr.valid(), "{}: cannot open attribute '{}'", path_, name);
  require_one_value(attr.get(), path_, name);
  H5Id type(H5Aget_type(attr.get()));
  const H5T_class_t cls = H5Tget_class(type.get());
  FT_CHECK(cls == H5T_FLOAT || cls == H5T_INTEGER, "{}: attribute '{}' is not a number", path_, name);
  double value = 0;
  FT_CHECK(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value) >= 0, "{}: cannot read attribute '{}'", path_,
           name);
  return value;
}

void H5File::write_string_attribute(const std::string& name, const std::string& value) {
  H5Id type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  H5Id space(H5Screate(H5S_SCALAR));
  H5Id attr(H5Acreate2(root(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  const char* text = value.c_str();
  FT_CHECK(attr.valid() && H5Awrite(attr.get(), type.get(), &text) >= 0, "{}: cannot write attribute '{}'",
           path_, name);
}

void H5File::write_int_attribute(const std::string& name, int64_t value) {
  H5Id space(H5Screate(H5S_SCALAR));
  H5Id attr(H5Acreate2(root(), name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
  FT_CHECK(attr.valid() && H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) >= 0,
           "{}: cannot write attribute '{}'", path_, name);
}

H5Id untimed_creation_properties(hid_t property_class) {
  H5Id properties(H5Pcreate(property_class));
  FT_CHECK(properties.valid() && H5Pset_obj_track_times(properties.get(), 0) >= 0,
           "HDF5: cannot make creation properties");
  return properties;
}

bool H5File::has_group(const std::string& path) const {
  if (H5Lexists(root(), path.c_str(), H5P_DEFAULT) <= 0) return false;
  H5O_info_t info{};
  return H5Oget_info_by_name2(root(), path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
         info.type == H5O_TYPE_GROUP;
}

void H5File::create_group(const std::string& path) {
  H5Id properties = untimed_creation_properties(H5P_GROUP_CREATE);
  H5Id group(H5Gcreate2(root(), path.c_str(), H5P_DEFAULT, properties.get(), H5P_DEFAULT));
  FT_CHECK(group.valid(), "{}: cannot create group '{}'", path_, path);
}

namespace {

// The names of the objects of one type (dataset or group) directly in `group`, sorted.
std::vector<std::string> member_names(hid_t root, const std::string& path, const std::string& group,
                                      H5O_type_t type) {
  H5Id g(H5Gopen2(root, group.c_str(), H5P_DEFAULT));
  FT_CHECK(g.valid(), "{}: no group '{}'", path, group);
  struct Wanted {
    H5O_type_t type;
    std::vector<std::string> names;
  } wanted{type, {}};
  auto visit = [](hid_t gid, const char* name, const H5L_info_t*, void* data) -> herr_t {
    auto* w = static_cast<Wanted*>(data);
    H5O_info_t info{};
    if (H5Oget_info_by_name2(gid, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 && info.type == w->type) {
      w->names.emplace_back(name);
    }
    return 0;
  };
  FT_CHECK(H5Literate(g.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &wanted) >= 0,
           "{}: cannot list group '{}'", path, group);
  std::sort(wanted.names.begin(), wanted.names.end());
  return wanted.names;
}

}  // namespace

std::vector<std::string> H5File::dataset_names(const std::string& group) const {
  return member_names(root(), path_, group, H5O_TYPE_DATASET);
}

std::vector<std::string> H5File::group_names(const std::string& group) const {
  return member_names(root(), path_, group, H5O_TYPE_GROUP);
}

bool H5File::has_dataset(const std::string& path) const {
  if (H5Lexists(root(), path.c_str(), H5P_DEFAULT) <= 0) return false;
  H5O_info_t info{};
  return H5Oget_info_by_name2(root(), path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
         info.type == H5O_TYPE_DATASET;
}

Shape H5File::dataset_shape(const std::string& path) const {
  FT_CHECK(has_dataset(path), "{}: missing dataset '{}'", path_, path);
  H5Id dataset(H5Dopen2(root(), path.c_str(), H5P_DEFAULT));
  H5Id space(H5Dget_space(dataset.get()));
  return space_shape(space.get(), fmt::format("{}: dataset '{}'", path_, path));
}

Tensor H5File::read_tensor(const std::string& path) const {
  FT_CHECK(has_dataset(path), "{}: missing dataset '{}'", path_, path);
  H5Id dataset(H5Dopen2(root(), path.c_str(), H5P_DEFAULT));
  FT_CHECK(dataset.valid(), "{}: cannot open dataset '{}'", path_, path);
  H5Id type(H5Dget_type(dataset.get()));
  FT_CHECK(H5Tget_class(type.get()) == H5T_FLOAT, "{}: dataset '{}' is not floating point", path_, path);
  H5Id space(H5Dget_space(dataset.get()));
  const std::string what = fmt::format("{}: dataset '{}'", path_, path);
  const Shape shape = space_shape(space.get(), what);
  // A dataset's declared size is not bounded by the file's (a chunked dataset may be all fill value).
  check_fits_memory(checked_product(shape.numel(), sizeof(float), what), what);
  Tensor tensor(shape);
  FT_CHECK(H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, tensor.data()) >= 0,
           "{}: cannot read dataset '{}' (damaged file?)", path_, path);
  return tensor;
}

void H5File::write_tensor(const std::string& path, const Shape& shape, const float* data, bool compress) {
  std::vector<hsize_t> dims(shape.dims().begin(), shape.dims().end());
  H5Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  H5Id properties = untimed_creation_properties(H5P_DATASET_CREATE);
  if (compress && shape.numel() >= 1024) {
    H5Pset_chunk(properties.get(), static_cast<int>(dims.size()), dims.data());
    H5Pset_shuffle(properties.get());
    H5Pset_deflate(properties.get(), 4);
  }
  H5Id dataset(H5Dcreate2(root(), path.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, properties.get(),
                          H5P_DEFAULT));
  FT_CHECK(dataset.valid(), "{}: cannot create dataset '{}'", path_, path);
  FT_CHECK(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0,
           "{}: cannot write dataset '{}'", path_, path);
}

}  // namespace ftcnn
