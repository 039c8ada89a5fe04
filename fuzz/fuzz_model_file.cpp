// Model files of both layouts (docs/model_format.md): ftcnn model files (format versions 1 and 2) and
// PyTorch state_dict files (an `arch` attribute, parameters at the root), as HDF5 files written from a
// recipe (fuzz/h5_recipe.hpp).
#include "engine/io/model_file.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/h5_recipe.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ftcnn::fuzz::scratch_directory() + "/model.h5";
  ftcnn::fuzz::write_h5_recipe(data, size, path);
  ftcnn::fuzz::expect_clean_outcome([&] { (void)ftcnn::load_model(path); });
  return 0;
}
