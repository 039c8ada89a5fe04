// Channel ranking files for `harden --ranking` (docs/hardening.md), read against the test suite's small
// model, as HDF5 files written from a recipe (fuzz/h5_recipe.hpp).
#include "engine/io/ranking_file.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/h5_recipe.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  (void)ftcnn::fuzz::small_model();  // loaded before the first input, not timed with it
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ftcnn::fuzz::scratch_directory() + "/ranking.h5";
  ftcnn::fuzz::write_h5_recipe(data, size, path);
  ftcnn::fuzz::expect_clean_outcome(
      [&] { (void)ftcnn::read_ranking_file(path, *ftcnn::fuzz::small_model().graph); });
  return 0;
}
