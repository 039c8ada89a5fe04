#include "app/prune_command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>

#include "app/channel_scoring.hpp"
#include "app/cli_common.hpp"
#include "app/utc_time.hpp"
#include "engine/evaluate.hpp"
#include "engine/hardening.hpp"
#include "engine/io/cifar_dataset.hpp"
#include "engine/io/vulnerability_file.hpp"
#include "engine/layers/attributes.hpp"
#include "engine/pruning.hpp"
#include "engine/vulnerability/vulnerability.hpp"

namespace ftcnn::cli {
namespace {

struct PruneOptions {
  ModelOptions model;
  double conv_ratio = -1.0;
  double fc_ratio = -1.0;
  std::string importance;
  std::string scores;
  std::string data;
  // As `ftcnn vuln`: channels are scored on training images (docs/vulnerability.md, "Choices").
  std::string split = "train";
  ImageSelection images{256, false};
  int64_t batch = 0;
  uint64_t seed = 1;
  std::string scope = "layer";
  std::string normalize;  // empty: mean for global scope, none for layer scope
  int threads = 0;
  std::string out;
  bool json = false;
};

ChannelScores scores_by_layer(const VulnerabilityResult& result) {
  ChannelScores scores;
  for (const LayerVulnerability& layer : result.layers) scores[layer.layer] = layer.scores;
  return scores;
}

// Scores computed here, as `ftcnn vuln --scores M` would (score_channels: the same images).
ChannelScores compute_scores(const PruneOptions& options, Model& model, nlohmann::json& source) {
  VulnerabilityOptions settings;
  settings.method = vulnerability_method_from_name(options.importance);
  settings.seed = static_cast<uint64_t>(options.seed);
  settings.batch = options.batch;
  settings.threads = options.threads;
  const bool needs_data = uses_inputs(settings.method);
  FT_CHECK(!needs_data || !options.data.empty(), "--data is required for --scores {}", options.importance);
  FT_CHECK(needs_data || options.data.empty(), "--data: --scores {} uses no images", options.importance);
  const ScoredChannels scored =
      score_channels(model, options.data, options.split, options.images, settings, "importance");
  const VulnerabilityResult& result = scored.result;
  source = {{"method", vulnerability_method_name(result.method)}, {"computed", "inline"}};
  if (needs_data) {
    source["data"] = scored.data.source;
    source["split"] = options.split;
    source["selection"] = scored.selection;
    source["images"] = result.images;
    source["skipped"] = result.skipped;
    source["zero_margins"] = result.zero_margins;
    source["batch"] = result.batch;
    source["seconds"] = result.seconds;
  }
  if (settings.method == VulnerabilityMethod::random) source["seed"] = result.seed;
  return scores_by_layer(result);
}

// Scores from a file `ftcnn vuln --out` wrote for this very model (same parameter checksum).
ChannelScores read_scores(const PruneOptions& options, const Model& model, nlohmann::json& source) {
  const VulnerabilityFile file = read_vulnerability_h5(options.scores);
  const std::string checksum = model.graph->parameters().checksum_hex();
  FT_CHECK(file.provenance.model_checksum.empty() || file.provenance.model_checksum == checksum,
           "{}: scores of a model with checksum {}, but {} has checksum {} (score this model)",
           options.scores, file.provenance.model_checksum, model.path, checksum);
  const ChannelScores scores = scores_by_layer(file.result);
  for (const LayerSpec* l : prunable_layers(model.graph->spec())) {
    const auto it = scores.find(l->name);
    FT_CHECK(it != scores.end(), "{}: no scores for layer '{}'", options.scores, l->name);
    FT_CHECK(static_cast<int64_t>(it->second.size()) == out_channels_of(*l),
             "{}: layer '{}' has {} scores, the model {} channels", options.scores, l->name,
             it->second.size(), out_channels_of(*l));
  }
  const VulnerabilityResult& r = file.result;
  source = {{"method", vulnerability_method_name(r.method)},
            {"computed", "file"},
            {"file", options.scores},
            {"data", file.provenance.data},
            {"split", file.provenance.split},
            {"selection", file.provenance.selection},
            {"images", r.images},
            {"skipped", r.skipped},
            {"zero_margins", r.zero_margins},
            {"batch", r.batch},
            {"seed", r.seed}};
  return scores;
}

void run_prune(const PruneOptions& given) {
  // --scores is a method or a file; --importance is its older name for a method.
  PruneOptions options = given;
  if (!given.scores.empty()) {
    FT_CHECK(given.importance.empty(), "give --scores alone (--importance is its older name)");
    const ScoreSource source = score_source(given.scores, {"exact", "batch", "l1", "random"});
    options.importance = source.method;
    options.scores = source.file;
  }
  FT_CHECK(!options.importance.empty() || !options.scores.empty(),
           "give a score source: --scores exact|batch|l1|random, or --scores FILE (from ftcnn vuln --out)");
  const PruneScope scope = with_flag("--scope", [&] { return prune_scope_from_name(options.scope); });
  const ScoreNormalization normalization =
      !options.normalize.empty()
          ? with_flag("--normalize", [&] { return score_normalization_from_name(options.normalize); })
      : scope == PruneScope::global ? ScoreNormalization::mean
                                    : ScoreNormalization::none;
  FT_CHECK(scope == PruneScope::global || normalization == ScoreNormalization::none,
           "--normalize {}: only --scope global compares scores across layers", options.normalize);
  // Ratios before any work: removals_for_ratio throws naming the flag.
  removals_for_ratio(options.conv_ratio, 1, "--conv-ratio");
  removals_for_ratio(options.fc_ratio, 1, "--fc-ratio");
  FT_CHECK(options.scores.empty() || options.data.empty(),
           "--data: with --scores the scores come from the file, no images are used");
  Model model = load_model_from(options.model);
  const Graph& plain = *model.graph;
  prunable_layers(plain.spec());  // refuses a hardened model before any scoring

  nlohmann::json importance;
  const ChannelScores scores = options.scores.empty() ? compute_scores(options, model, importance)
                                                      : read_scores(options, model, importance);
  const std::vector<LayerPruning> plan =
      plan_pruning(plain, scores, options.conv_ratio, options.fc_ratio, scope, normalization);
  const std::unique_ptr<Graph> pruned = build_pruned_graph(plain, plan);

  nlohmann::json layers = nlohmann::json::array();
  bool tied = false;
  for (const LayerPruning& p : plan) {
    layers.push_back({{"layer", p.layer},
                      {"type", layer_type_name(p.type)},
                      {"channels", p.channels},
                      {"kept", p.channels - static_cast<int64_t>(p.removed.size())},
                      {"removed", p.removed}});
    // Only where an add or a depthwise convolution ties layers, so that the provenance of a sequential model
    // stays as it was.
    if (!p.tied_with.empty()) layers.back()["tied_with"] = p.tied_with;
    tied = tied || !p.tied_with.empty();
  }
  const nlohmann::json pruning = {
      {"conv_ratio", options.conv_ratio},
      {"fc_ratio", options.fc_ratio},
      {"scope", prune_scope_name(scope)},
      {"normalization", score_normalization_name(normalization)},
      {"importance", importance},
      {"seed", options.seed},
      {"images", importance.value("images", int64_t{0})},
      {"rounding", tied ? "floor(ratio x units: the channels an add or a depthwise convolution ties count "
                          "once), at least one channel kept per layer"
                        : "floor(ratio x channels), at least one channel kept per layer"},
      {"output_layer", weighted_layers_of(plain.spec()).back()->name},  // never pruned
      {"layers", layers},
  };
  const nlohmann::json provenance = derived_provenance("prune", model, "pruning", pruning);
  ModelInfo info = model.info;
  info.provenance_json = provenance.dump();
  save_model(options.out, *pruned, info);

  const ParameterStore& before = plain.parameters();
  const ParameterStore& after = pruned->parameters();
  auto ratio = [](int64_t a, int64_t b) {
    return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  const double parameter_ratio = ratio(after.trainable_parameters(), before.trainable_parameters());
  const double mac_ratio = ratio(pruned->macs_per_item(), plain.macs_per_item());
  if (options.json) {
    print_json({{"command", "prune"},
                {"model", model.path},
                {"out", options.out},
                {"pruning", pruning},
                {"parameters", {before.trainable_parameters(), after.trainable_parameters()}},
                {"buffers",
                 {before.total_elements() - before.trainable_parameters(),
                  after.total_elements() - after.trainable_parameters()}},
                {"macs", {plain.macs_per_item(), pruned->macs_per_item()}},
                {"parameter_ratio", parameter_ratio},
                {"mac_ratio", mac_ratio},
                {"checksum", after.checksum_hex()},
                {"version", version()}});
    return;
  }
  fmt::print("{}: {} pruned at conv ratio {}, fc ratio {} ({} scope{}, importance {}{})\n", options.out,
             model.path, options.conv_ratio, options.fc_ratio, prune_scope_name(scope),
             scope == PruneScope::global
                 ? fmt::format(", scores / layer {}", score_normalization_name(normalization))
                 : "",
             importance.value("method", "?"), options.scores.empty() ? "" : " from " + options.scores);
  fmt::print("{:<20} {:<7} {:>9} {:>9} {:>9}{}\n", "layer", "type", "channels", "removed", "kept",
             tied ? "  tied to" : "");
  for (const LayerPruning& p : plan) {
    fmt::print("{:<20} {:<7} {:>9} {:>9} {:>9}{}\n", p.layer, layer_type_name(p.type), p.channels,
               p.removed.size(), p.channels - static_cast<int64_t>(p.removed.size()),
               p.tied_with.empty() ? "" : "  " + fmt::format("{}", fmt::join(p.tied_with, ", ")));
  }
  fmt::print("parameters {} -> {} (x{:.4f}), buffers {} -> {}, MACs {} -> {} (x{:.4f})\n",
             group_digits(before.trainable_parameters()), group_digits(after.trainable_parameters()),
             parameter_ratio, group_digits(before.total_elements() - before.trainable_parameters()),
             group_digits(after.total_elements() - after.trainable_parameters()),
             group_digits(plain.macs_per_item()), group_digits(pruned->macs_per_item()), mac_ratio);
}

}  // namespace

void register_prune_command(CLI::App& app) {
  auto options = std::make_shared<PruneOptions>();
  CLI::App* command = app.add_subcommand(
      "prune",
      "Write a structurally pruned model: the least important conv2d channels and linear neurons removed");
  add_model_options(*command, options->model);
  command
      ->add_option("--conv-ratio", options->conv_ratio,
                   "share of each conv2d layer's channels to remove, [0, 1)")
      ->required();
  command
      ->add_option("--fc-ratio", options->fc_ratio, "share of each linear layer's neurons to remove, [0, 1)")
      ->required();
  command->add_option(
      "--scores", options->scores,
      "channel scores: exact or batch (Eq. 1, on --data), l1, random, or a file written by ftcnn "
      "vuln --out");
  command->add_option("--importance", options->importance, "older name of --scores METHOD")
      ->check(CLI::IsMember({"exact", "batch", "l1", "random"}));
  command->add_option("--data", options->data,
                      "CIFAR binary or python folder, or an .npz/.h5 of images and labels "
                      "(docs/datasets.md); for --scores exact and batch");
  command->add_option("--split", options->split, "train (default) or test")
      ->check(CLI::IsMember({"test", "train"}));
  add_image_selection(*command, options->images,
                      "the images the scores are computed on, exact and batch (default 256)");
  command
      ->add_option("--batch", options->batch,
                   "images per forward pass; for --scores batch the batch whose margins are summed "
                   "(default 32 for exact, 128 for batch)")
      ->check(positive_integer());
  command->add_option("--seed", options->seed, "seed of --scores random")->check(seed_value());
  command->add_option("--scope", options->scope, "layer (default): ratios per layer; global: across layers")
      ->check(CLI::IsMember({"layer", "global"}));
  command
      ->add_option("--normalize", options->normalize,
                   "global scope: divide each layer's scores by its mean (default), its l2 norm, or none")
      ->check(CLI::IsMember({"none", "mean", "l2"}));
  command->add_option("--threads", options->threads, "CPU threads (default: all)")
      ->check(non_negative_integer());
  command->add_option("--out", options->out, "the pruned model file to write")->required();
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->callback([options] { run_prune(*options); });
}

}  // namespace ftcnn::cli
