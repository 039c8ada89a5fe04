#include "fuzz/fuzz_support.hpp"

#include <hdf5.h>
#include <omp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ftcnn::fuzz {

const std::string& scratch_directory() {
  static const std::string directory = [] {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/ftcnn-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("ftcnn fuzz: mkdtemp");
      std::abort();
    }
    static const std::string removed_at_exit = pattern;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(removed_at_exit, ignored);
    });
    return pattern;
  }();
  return directory;
}

std::string write_scratch_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = scratch_directory() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "ftcnn fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

std::string write_scratch_file(const std::string& name, std::string_view text) {
  return write_scratch_file(name, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

std::string fixture_path(const std::string& name) {
  return std::string(FTCNN_SOURCE_DIR) + "/test/fixtures/" + name;
}

const Model& small_model() {
  static const Model model = load_model(fixture_path("model_small.h5"));
  return model;
}

void initialize_fuzz_target() {
  ::setenv("FTCNN_MEMORY_LIMIT_GIB", "1", /*overwrite=*/0);
  omp_set_num_threads(1);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

void report_finding(const char* what) {
  std::fprintf(stderr, "ftcnn fuzz: an exception other than ftcnn::Error escaped: %s\n", what);
  std::abort();
}

}  // namespace ftcnn::fuzz
