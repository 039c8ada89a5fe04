// Interval files (docs/hardening.md), as HDF5 files written from a recipe (fuzz/h5_recipe.hpp).
#include "engine/io/interval_file.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/h5_recipe.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ftcnn::fuzz::scratch_directory() + "/intervals.h5";
  ftcnn::fuzz::write_h5_recipe(data, size, path);
  ftcnn::fuzz::expect_clean_outcome([&] { (void)ftcnn::read_interval_file(path); });
  return 0;
}
