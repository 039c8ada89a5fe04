#include "app/harden_command.hpp"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "app/cli_common.hpp"
#include "app/utc_time.hpp"
#include "engine/hardening.hpp"
#include "engine/interval_profile.hpp"
#include "engine/io/interval_file.hpp"
#include "engine/io/ranking_file.hpp"

namespace ftcnn::cli {
namespace {

// Relative widening of the profiled intervals (widen_intervals): about a thousand float32 rounding steps of
// the bound, the tolerance the CUDA tests allow between cuDNN and the CPU.
constexpr double kDefaultMargin = 1e-4;

struct HardenOptions {
  ModelOptions model;
  std::string intervals;
  double ratio = -1.0;
  double margin = kDefaultMargin;
  std::string mode = "edac";
  std::string scores;  // l1, random or a ranking file; --ranking / --ranking-method are its older names
  std::string ranking;
  std::string ranking_method;
  uint64_t seed = 1;
  std::string out;
  bool json = false;
};

const char* correction_description(HardenMode mode) {
  switch (mode) {
    case HardenMode::edac:
      return "edac with intervals";
    case HardenMode::dup_only:
      return "edac, dup-only";
    case HardenMode::tmr:
      return "tmr_vote, 2 copies each";
  }
  return "?";
}

// The rankings and how they were obtained (for the provenance).
ChannelRankings choose_rankings(const HardenOptions& given, const Graph& graph, nlohmann::json& source) {
  HardenOptions options = given;
  if (!given.scores.empty()) {
    FT_CHECK(given.ranking.empty() && given.ranking_method.empty(),
             "give --scores alone (--ranking and --ranking-method are its older names)");
    const ScoreSource from = score_source(given.scores, {"l1", "random"});
    options.ranking_method = from.method;
    options.ranking = from.file;
  }
  FT_CHECK(options.ranking.empty() != options.ranking_method.empty(),
           "give one ranking source: --scores l1|random, or --scores FILE (the vulnerability analysis: ftcnn "
           "vuln --out)");
  if (!options.ranking.empty()) {
    source = {{"method", "file"}, {"file", options.ranking}};
    return read_ranking_file(options.ranking, graph);
  }
  if (options.ranking_method == "l1") {
    source = {{"method", "l1"}};
    return rank_channels_l1(graph);
  }
  FT_CHECK(options.ranking_method == "random", "--scores: unknown method '{}' (l1, random)",
           options.ranking_method);
  source = {{"method", "random"}, {"seed", options.seed}};
  return rank_channels_random(graph, options.seed);
}

// The intervals for mode edac, checked against the model they are meant for.
IntervalProfile load_intervals(const std::string& path, const Model& model) {
  IntervalProfile intervals = read_interval_file(path);
  const nlohmann::json provenance = parse_object(intervals.provenance_json);
  const std::string checksum = model.graph->parameters().checksum_hex();
  if (provenance.contains("model_checksum") && provenance["model_checksum"].is_string()) {
    const std::string profiled = provenance["model_checksum"].get<std::string>();
    FT_CHECK(profiled == checksum,
             "{}: profiled on a model with checksum {}, but {} has checksum {} (profile this model)", path,
             profiled, model.path, checksum);
  }
  return intervals;
}

void run_harden(const HardenOptions& options) {
  FT_CHECK(options.ratio >= 0.0 && options.ratio <= 1.0, "--ratio must be in [0, 1], got {}", options.ratio);
  const HardenMode mode = with_flag("--mode", [&] { return harden_mode_from_name(options.mode); });
  FT_CHECK(mode == HardenMode::edac || options.intervals.empty(),
           "--intervals: mode {} uses no detection intervals (only mode edac does)", options.mode);
  FT_CHECK(mode != HardenMode::edac || !options.intervals.empty(),
           "--mode edac needs --intervals (the detection intervals written by ftcnn profile)");
  const Model model = load_model_from(options.model);
  const Graph& plain = *model.graph;
  weighted_layers_of(plain.spec());  // refuses a hardened model first

  nlohmann::json ranking_source;
  const ChannelRankings rankings = choose_rankings(options, plain, ranking_source);
  IntervalProfile intervals;
  nlohmann::json interval_source = nullptr;
  if (mode == HardenMode::edac) {
    const IntervalProfile profiled = load_intervals(options.intervals, model);
    intervals = with_flag("--margin", [&] { return widen_intervals(profiled, options.margin); });
    interval_source = {{"file", options.intervals},
                       {"margin", options.margin},
                       {"provenance", parse_object(intervals.provenance_json)}};
  }
  const std::vector<LayerHardening> plan = plan_hardening(plain.spec(), rankings, options.ratio);
  const std::unique_ptr<Graph> hardened =
      build_hardened_graph(plain, plan, mode, mode == HardenMode::edac ? &intervals : nullptr);

  nlohmann::json layers = nlohmann::json::array();
  for (const LayerHardening& h : plan) {
    layers.push_back({{"layer", h.layer}, {"channels", h.channels}, {"copied", h.copied.size()}});
  }
  const nlohmann::json hardening = {
      {"mode", harden_mode_name(mode)},
      {"ratio", options.ratio},
      {"ranking", ranking_source},
      {"intervals", interval_source},
      {"output_layer", plan.back().layer},  // always fully copied
      {"layers", layers},
  };
  const nlohmann::json provenance = derived_provenance("harden", model, "hardening", hardening);
  ModelInfo info = model.info;
  info.provenance_json = provenance.dump();
  save_model(options.out, *hardened, info);

  const ParameterStore& before = plain.parameters();
  const ParameterStore& after = hardened->parameters();
  const nlohmann::json totals = {
      {"parameters", {before.trainable_parameters(), after.trainable_parameters()}},
      {"buffers",
       {before.total_elements() - before.trainable_parameters(),
        after.total_elements() - after.trainable_parameters()}},
      {"macs", {plain.macs_per_item(), hardened->macs_per_item()}}};
  if (options.json) {
    print_json({{"command", "harden"},
                {"model", model.path},
                {"out", options.out},
                {"hardening", hardening},
                {"before_after", totals},
                {"checksum", after.checksum_hex()},
                {"version", version()}});
    return;
  }
  fmt::print("{}: {} hardening of {} at ratio {} (ranking: {})\n", options.out, harden_mode_name(mode),
             model.path, options.ratio, ranking_source.value("method", "?"));
  fmt::print("{:<20} {:>9} {:>9}  {}\n", "layer", "channels", "copied", "correction");
  for (const LayerHardening& h : plan) {
    fmt::print("{:<20} {:>9} {:>9}  {}\n", h.layer, h.channels, h.copied.size(),
               correction_description(mode));
  }
  auto ratio = [](int64_t a, int64_t b) {
    return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  fmt::print("parameters {} -> {} (x{:.3f}), buffers {} -> {}, MACs {} -> {} (x{:.3f})\n",
             group_digits(before.trainable_parameters()), group_digits(after.trainable_parameters()),
             ratio(after.trainable_parameters(), before.trainable_parameters()),
             group_digits(before.total_elements() - before.trainable_parameters()),
             group_digits(after.total_elements() - after.trainable_parameters()),
             group_digits(plain.macs_per_item()), group_digits(hardened->macs_per_item()),
             ratio(hardened->macs_per_item(), plain.macs_per_item()));
}

}  // namespace

void register_harden_command(CLI::App& app) {
  auto options = std::make_shared<HardenOptions>();
  CLI::App* command =
      app.add_subcommand("harden", "Write a hardened model: duplicated channels + EDAC layers, or TMR");
  add_model_options(*command, options->model);
  command->add_option("--ratio", options->ratio, "share of each layer's channels to copy, in [0, 1]")
      ->required();
  command->add_option("--mode", options->mode, "edac (default), dup-only or tmr");
  command->add_option("--intervals", options->intervals,
                      "detection intervals from ftcnn profile (mode edac)");
  command->add_option(
      "--margin", options->margin,
      "widen each interval by this share of its largest bound magnitude (default 1e-4; 0: exact)");
  command->add_option("--scores", options->scores,
                      "the channel ranking: l1, random, or a file written by ftcnn vuln --out (datasets "
                      "<layer>/ranking)");
  command->add_option("--ranking", options->ranking, "older name of --scores FILE");
  command->add_option("--ranking-method", options->ranking_method, "older name of --scores l1|random");
  command->add_option("--seed", options->seed, "seed of --scores random")->check(seed_value());
  command->add_option("--out", options->out, "the hardened model file to write")->required();
  command->add_flag("--json", options->json, "print one JSON object on stdout");
  command->callback([options] { run_harden(*options); });
}

}  // namespace ftcnn::cli
