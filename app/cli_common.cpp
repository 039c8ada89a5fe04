#include "app/cli_common.hpp"

#include <algorithm>
#include <filesystem>

#include "app/utc_time.hpp"
#include "ftcnn_version.hpp"

namespace ftcnn::cli {

void add_model_options(CLI::App& command, ModelOptions& options) {
  command.add_option("--model", options.model, "ftcnn model file or PyTorch state_dict HDF5 file")
      ->required();
  command.add_option("--arch", options.arch, "architecture of a state_dict file without an 'arch' attribute");
}

Model load_model_from(const ModelOptions& options) {
  return load_model(options.model, options.arch);
}

namespace {

CLI::Validator integer_at_least(int64_t minimum, const std::string& what) {
  return CLI::Validator(
      [minimum, what](std::string& text) -> std::string {
        try {
          size_t used = 0;
          const long long value = std::stoll(text, &used);
          if (used == text.size() && value >= minimum) return "";
        } catch (const std::exception&) {
        }
        return "must be " + what + ", got '" + text + "'";
      },
      what);
}

}  // namespace

CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        static const std::string kLargest = "18446744073709551615";  // 2^64 - 1
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        const std::string significant =
            digits ? text.substr(std::min(text.find_first_not_of('0'), text.size() - 1)) : "";
        if (digits && (significant.size() < kLargest.size() ||
                       (significant.size() == kLargest.size() && significant <= kLargest)))
          return "";
        return "must be an integer from 0 to 18446744073709551615, got '" + text + "'";
      },
      "a seed");
}

CLI::Validator positive_integer() {
  return integer_at_least(1, "a positive integer");
}
CLI::Validator non_negative_integer() {
  return integer_at_least(0, "a non-negative integer");
}

void add_image_selection(CLI::App& command, ImageSelection& selection, const std::string& what,
                         const std::string& names) {
  command
      .add_option(names, selection.count,
                  what + ": the first N of the split, or N evenly spaced over it with --evenly-spaced")
      ->check(positive_integer());
  command.add_flag("--evenly-spaced", selection.evenly_spaced,
                   "take the --images spread evenly over the split (image k of N is image k x total / N) "
                   "instead of the first ones");
}

Dataset load_selected_images(const std::string& directory, const std::string& split,
                             const ImageSelection& selection) {
  if (!selection.evenly_spaced) return load_dataset(directory, split, selection.count);
  const Dataset all = load_dataset(directory, split);
  return selection.count > 0 ? evenly_spaced_subset(all, selection.count) : all;
}

std::string describe_selection(const ImageSelection& selection, int64_t selected, int64_t total) {
  if (selection.evenly_spaced) return fmt::format("{} of {} images, evenly spaced", selected, total);
  return fmt::format("the first {} of {} images", selected, total);
}

ScoreSource score_source(const std::string& text, const std::vector<std::string>& methods) {
  if (std::find(methods.begin(), methods.end(), text) != methods.end()) return {text, ""};
  std::error_code error;
  if (!std::filesystem::exists(text, error)) {
    std::string names;
    for (const std::string& m : methods) names += (names.empty() ? "" : ", ") + m;
    FT_THROW("--scores: '{}' is neither a method ({}) nor a file", text, names);
  }
  return {"", text};
}

void require_device(Device device) {
  if (device != Device::cuda) return;
  const CudaStatus status = cuda_status();
  FT_CHECK(status.count > 0, "--device cuda: {}", status.reason());
}

nlohmann::json parse_object(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

nlohmann::json derived_provenance(const std::string& command, const Model& source, const std::string& key,
                                  const nlohmann::json& what) {
  return {{"created_by", "ftcnn " + command + " " + version()},
          {"created", utc_now()},
          {"source", source.path},
          {"source_checksum", source.graph->parameters().checksum_hex()},
          {"source_provenance", parse_object(source.info.provenance_json)},
          {key, what}};
}

std::string group_digits(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return value < 0 ? "-" + digits : digits;
}

std::string version() {
  return FTCNN_VERSION_STRING;
}

}  // namespace ftcnn::cli
