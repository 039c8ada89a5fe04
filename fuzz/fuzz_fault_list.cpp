// The fault lists `ftcnn replay` reads (docs/fault_format.md): a fault file or one repetition of a campaign
// log, chosen by BER 1e-5 and repetition 0, turned into fault sites of the test suite's small model.
#include "engine/fault/fault_file.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  (void)ftcnn::fuzz::small_model();  // loaded before the first input, not timed with it
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ftcnn::fuzz::write_scratch_file("faults.json", data, size);
  ftcnn::fuzz::expect_clean_outcome([&] {
    const ftcnn::FaultList list = ftcnn::read_fault_list(path, 1e-5, 0);
    (void)ftcnn::fault_sites_of(list, ftcnn::fuzz::small_model().graph->parameters(), path);
  });
  return 0;
}
