#include "app/cli_common.hpp"

#include <iostream>

namespace ftcnn::cli {

void add_model_options(CLI::App& command, ModelOptions& options) {
  command.add_option("--model", options.model, "ftcnn model file or PyTorch state_dict HDF5 file")->required();
  command.add_option("--arch", options.arch, "architecture of a state_dict file without an 'arch' attribute");
}

Model load_model_from(const ModelOptions& options) { return load_model(options.model, options.arch); }

void print_json(const nlohmann::json& object) { std::cout << object.dump(2) << std::endl; }

std::string group_digits(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return value < 0 ? "-" + digits : digits;
}

std::string version() { return FTCNN_VERSION; }

}  // namespace ftcnn::cli
