// The architecture text of a model file (the `architecture` attribute, docs/model_format.md), format versions
// 1 and 2 (the first byte chooses), built into a graph: every node's attributes, inputs and shapes checked.
// A spec that loads must also survive its own round trip: written back and read again, it is the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/graph.hpp"
#include "engine/model_spec.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ftcnn::fuzz::initialize_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int64_t version = 1 + data[0] % 2;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  ftcnn::fuzz::expect_clean_outcome([&] {
    const ftcnn::ModelSpec spec = ftcnn::model_spec_from_json(text, "fuzz input", version);
    const std::string written = ftcnn::model_spec_to_json(spec);
    if (ftcnn::model_spec_to_json(ftcnn::model_spec_from_json(written, "round trip")) != written)
      ftcnn::fuzz::report_finding("a spec changed in its round trip through the model format");
    const ftcnn::Graph graph(spec);
    (void)graph.activation_layout(2, std::vector<int>(static_cast<size_t>(graph.size()), 0));
  });
  return 0;
}
