#include "app/vuln_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "app/channel_scoring.hpp"
#include "app/cli_common.hpp"
#include "engine/device.hpp"
#include "engine/evaluate.hpp"
#include "engine/io/cifar_dataset.hpp"
#include "engine/io/vulnerability_file.hpp"
#include "engine/vulnerability/vulnerability.hpp"

namespace ftcnn::cli {
namespace {

struct VulnOptions {
  ModelOptions model;
  std::string data;
  // The paper profiles its detection intervals on the training set and SentinelNN scores channels on a
  // training batch, so vulnerability is profiled on training images too (docs/vulnerability.md).
  std::string split = "train";
  ImageSelection images{256, false};
  std::string method = "exact";
  uint64_t seed = 1;
  int64_t batch = 0;
  std::string device = "cpu";
  int threads = 0;
  std::string out;
  std::string csv;
  bool json = false;
};

// Up to `count` channels from the top of a ranking as "12 (3.1e+02)".
std::string top_channels(const LayerVulnerability& layer, size_t count) {
  std::string text;
  for (size_t r = 0; r < std::min(count, layer.ranking.size()); ++r) {
    const int64_t c = layer.ranking[r];
    text += fmt::format("{}{} ({:.3g})", r > 0 ? ", " : "", c, layer.scores[static_cast<size_t>(c)]);
  }
  return text;
}

void run_vuln(const VulnOptions& options) {
  VulnerabilityOptions settings;
  settings.method = vulnerability_method_from_name(options.method);
  settings.seed = static_cast<uint64_t>(options.seed);
  settings.batch = options.batch;
  settings.device = parse_device(options.device);
  settings.threads = options.threads;
  const bool needs_data = uses_inputs(settings.method);
  FT_CHECK(!needs_data || !options.data.empty(), "--data is required for --scores {}", options.method);
  if (needs_data) require_device(settings.device);

  Model model = load_model_from(options.model);
  Graph& graph = *model.graph;
  const ScoredChannels scored =
      score_channels(model, options.data, options.split, options.images, settings, "vuln");
  const VulnerabilityResult& result = scored.result;
  const Dataset& data = scored.data;

  VulnerabilityProvenance provenance;
  provenance.model = model.path;
  provenance.model_checksum = graph.parameters().checksum_hex();
  provenance.data = needs_data ? data.source : "";
  provenance.split = needs_data ? options.split : "";
  provenance.selection = scored.selection;
  provenance.version = version();
  if (!options.out.empty()) write_vulnerability_h5(options.out, result, provenance);
  if (!options.csv.empty()) write_vulnerability_csv(options.csv, result);

  if (options.json) {
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerVulnerability& layer : result.layers) {
      const auto [low, high] = std::minmax_element(layer.scores.begin(), layer.scores.end());
      std::vector<int64_t> top(layer.ranking.begin(),
                               layer.ranking.begin() + std::min<size_t>(10, layer.ranking.size()));
      layers.push_back({{"layer", layer.layer},
                        {"type", layer_type_name(layer.type)},
                        {"channels", layer.scores.size()},
                        {"min_score", *low},
                        {"max_score", *high},
                        {"top10", top}});
    }
    print_json({{"command", "vuln"},
                {"model", model.path},
                {"arch", graph.spec().arch},
                {"method", vulnerability_method_name(result.method)},
                {"data", provenance.data},
                {"split", provenance.split},
                {"selection", provenance.selection},
                {"images", result.images},
                {"skipped", result.skipped},
                {"zero_margins", result.zero_margins},
                {"batch", result.batch},
                {"device", needs_data ? options.device : ""},
                {"seed", result.seed},
                {"seconds", result.seconds},
                {"out", options.out},
                {"csv", options.csv},
                {"layers", layers},
                {"model_checksum", provenance.model_checksum},
                {"version", version()}});
    return;
  }
  if (needs_data) {
    fmt::print("{} ({}): method {}, {} images of {} ({}, {}), batch {}, {}, {:.2f} s\n", model.path,
               graph.spec().arch, options.method, result.images, data.source, options.split,
               provenance.selection, result.batch, options.device, result.seconds);
  } else {
    fmt::print("{} ({}): method {}{}\n", model.path, graph.spec().arch, options.method,
               settings.method == VulnerabilityMethod::random ? fmt::format(", seed {}", options.seed) : "");
  }
  if (result.skipped > 0) fmt::print("{} images had NaN or Inf logits and were left out\n", result.skipped);
  if (result.zero_margins > 0)
    fmt::print("{} margins were exactly 0 and contributed nothing\n", result.zero_margins);
  for (const LayerVulnerability& layer : result.layers) {
    fmt::print("  {:<14} {:<7} {:>5} channels, most vulnerable: {}\n", layer.layer,
               layer_type_name(layer.type), layer.scores.size(), top_channels(layer, 5));
  }
  if (!options.out.empty()) fmt::print("wrote {}\n", options.out);
  if (!options.csv.empty()) fmt::print("wrote {}\n", options.csv);
}

}  // namespace

void register_vuln_command(CLI::App& app) {
  auto options = std::make_shared<VulnOptions>();
  CLI::App* command = app.add_subcommand(
      "vuln", "Per-channel vulnerability (Eq. 1) and rankings of every conv2d and linear layer");
  add_model_options(*command, options->model);
  command->add_option("--data", options->data,
                      "CIFAR binary or python folder, or an .npz/.h5 of images and labels "
                      "(docs/datasets.md); for scores exact and batch");
  command->add_option("--split", options->split, "train (default) or test")
      ->check(CLI::IsMember({"test", "train"}));
  add_image_selection(*command, options->images,
                      "the images the scores are computed on, exact and batch (default 256)");
  command
      ->add_option("--scores,--method", options->method,
                   "how channel scores are computed: exact or batch (Eq. 1, on --data), l1 or random")
      ->check(CLI::IsMember({"exact", "batch", "l1", "random"}));
  command->add_option("--seed", options->seed, "seed of --scores random")->check(seed_value());
  command
      ->add_option("--batch", options->batch,
                   "images per forward pass; for --scores batch the batch whose margins are summed "
                   "(default 32 for exact, 128 for batch)")
      ->check(positive_integer());
  command
      ->add_option("--device", options->device,
                   "where exact and batch run their reverse pass: cpu (default) or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  command->add_option("--threads", options->threads, "CPU threads (default: all)")
      ->check(non_negative_integer());
  command->add_option("--out", options->out, "write scores and rankings to this HDF5 file");
  command->add_option("--csv", options->csv, "write layer,channel,score,rank to this CSV file");
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->callback([options] { run_vuln(*options); });
}

}  // namespace ftcnn::cli
