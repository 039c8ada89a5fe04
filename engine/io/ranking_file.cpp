#include "engine/io/ranking_file.hpp"

#include "engine/error.hpp"
#include "engine/io/hdf5_file.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/memory_limit.hpp"

namespace ftcnn {
namespace {

// A one-dimensional integer dataset (any integer type), as int64.
std::vector<int64_t> read_int_vector(const H5File& file, const std::string& path) {
  FT_CHECK(file.has_dataset(path), "{}: missing dataset '{}'", file.path(), path);
  H5Id dataset(H5Dopen2(file.root(), path.c_str(), H5P_DEFAULT));
  FT_CHECK(dataset.valid(), "{}: cannot open dataset '{}'", file.path(), path);
  H5Id type(H5Dget_type(dataset.get()));
  FT_CHECK(H5Tget_class(type.get()) == H5T_INTEGER, "{}: dataset '{}' is not an integer dataset", file.path(),
           path);
  H5Id space(H5Dget_space(dataset.get()));
  FT_CHECK(H5Sget_simple_extent_ndims(space.get()) == 1, "{}: dataset '{}' is not one-dimensional",
           file.path(), path);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  FT_CHECK(count >= 0, "{}: cannot read the size of dataset '{}'", file.path(), path);
  const std::string what = fmt::format("{}: dataset '{}'", file.path(), path);
  check_fits_memory(checked_product(count, sizeof(int64_t), what), what);
  std::vector<int64_t> values(static_cast<size_t>(count));
  FT_CHECK(count == 0 ||
               H5Dread(dataset.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0,
           "{}: cannot read dataset '{}'", file.path(), path);
  return values;
}

}  // namespace

ChannelRankings read_ranking_file(const std::string& path, const Graph& graph) {
  const H5File file = H5File::open_read(path);
  ChannelRankings rankings;
  for (const LayerSpec* l : weighted_layers_of(graph.spec())) {
    const std::string dataset = l->name + "/ranking";
    FT_CHECK(file.has_dataset(dataset), "{}: no ranking for layer '{}' (missing dataset '{}')", path, l->name,
             dataset);
    std::vector<int64_t> order = read_int_vector(file, dataset);
    const std::string problem = permutation_problem(order, out_channels_of(*l));
    FT_CHECK(problem.empty(), "{}: dataset '{}' {}", path, dataset, problem);
    rankings[l->name] = std::move(order);
  }
  return rankings;
}

}  // namespace ftcnn
