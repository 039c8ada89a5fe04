#include "app/bench_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <thread>

#include "app/bench_timing.hpp"
#include "app/cli_common.hpp"
#include "app/flag_lists.hpp"
#include "app/utc_time.hpp"
#include "engine/cuda/cuda_versions.hpp"
#include "engine/error.hpp"
#include "engine/evaluate.hpp"
#include "engine/fault/fault_counts.hpp"
#include "engine/fault/fault_evaluator.hpp"
#include "engine/model_spec.hpp"

namespace ftcnn::cli {
namespace {

struct BenchOptions {
  ModelOptions model;
  std::string data;
  std::string device = "cpu";
  std::string batches = "1000";
  int warmup = 2;
  int repeats = 5;
  int64_t images = 0;
  int threads = 0;
  int64_t campaign_reps = 0;
  double ber = 1e-5;
  std::string count = "paper";
  uint64_t seed = 1;
  bool layers = false;
  bool json = false;
};

// One inference measurement: all `images` in batches of `batch`.
struct InferenceResult {
  int64_t batch = 0;
  Timing ms;
  int64_t correct = 0;
  int64_t non_finite = 0;
};

// Top-1 against the labels over host logits [images, classes].
void score(const std::vector<float>& logits, const Dataset& data, int64_t classes, InferenceResult& r) {
  for (int64_t i = 0; i < data.count; ++i) {
    const int32_t predicted = top1(logits.data() + i * classes, classes);
    if (predicted == kNoPrediction) ++r.non_finite;
    if (predicted == data.labels[static_cast<size_t>(i)]) ++r.correct;
  }
}

// Where a pass spends its time (--layers): per step of the plan, the median over `--repeats` hooked passes
// at the first batch size.
struct StepTime {
  int layer = 0;
  double ms = 0;
};

std::vector<StepTime> step_times(PassTimer& timer, int64_t batch, int repeats) {
  std::vector<std::vector<double> > runs;
  for (int i = 0; i < repeats; ++i) runs.push_back(timer.step_ms(batch));
  std::vector<StepTime> steps;
  for (size_t layer = 0; layer < runs.front().size(); ++layer) {
    std::vector<double> of_layer;
    for (const std::vector<double>& run : runs) of_layer.push_back(run[layer]);
    if (of_layer.front() < 0) continue;  // no step ends at this layer (absorbed by a fused one)
    steps.push_back({static_cast<int>(layer), summarize_ms(of_layer).median});
  }
  return steps;
}

// Every batch size in turn: `--warmup` untimed passes, then `--repeats` timed passes over all images.
std::vector<InferenceResult> bench_inference(Graph& graph, const Dataset& data, const Preprocessing& pre,
                                             Device device, const std::vector<int64_t>& batches,
                                             const BenchOptions& o, std::string& description,
                                             AlgorithmChoices& algorithms, std::vector<StepTime>& steps) {
  const std::unique_ptr<PassTimer> timer = make_pass_timer(graph, data, pre, device, o.threads);
  description = timer->description();
  std::vector<InferenceResult> results;
  for (int64_t batch : batches) {
    for (int i = 0; i < o.warmup; ++i) timer->pass_ms(batch);
    std::vector<double> runs;
    for (int i = 0; i < o.repeats; ++i) runs.push_back(timer->pass_ms(batch));
    InferenceResult r;
    r.batch = batch;
    r.ms = summarize_ms(runs);
    score(timer->logits(), data, graph.spec().num_classes, r);
    results.push_back(r);
    if (o.layers && batch == batches.front()) steps = step_times(*timer, batch, o.repeats);
  }
  algorithms = timer->algorithms();
  return results;
}

struct CampaignBench {
  int64_t batch = 0;
  double faults_mean = 0;
  double accuracy_mean = 0;
  double golden_accuracy = 0;
  Timing repetition_ms, eval_only_ms;
  int64_t eval_only_mismatches = 0;  // images not masked in a zero-fault repetition (must be 0)
};

// `ftcnn campaign`'s repetition without its files: a warm-up of each kind, then R timed repetitions at the
// BER (repetitions 0..R-1 of the seed, the very fault sets `ftcnn campaign --seed S` draws), each followed by
// a timed zero-fault repetition (the evaluation alone).
CampaignBench bench_campaign(Graph& graph, const Dataset& data, const Preprocessing& pre, Device device,
                             int64_t batch, const BenchOptions& o) {
  CampaignBench c;
  c.batch = batch;
  const FaultTargets targets(graph.parameters(), parse_target_selection(""));
  auto evaluator = make_fault_evaluator(graph, targets, data, pre.scale, pre.mean, pre.std, device,
                                        EvaluatorOptions{batch, o.threads, {}});
  const uint64_t checksum = evaluator->parameter_checksum();
  const GoldenRun golden = evaluator->golden();
  const double images = static_cast<double>(golden.images);
  c.golden_accuracy = static_cast<double>(golden.correct) / images;
  const CountModel model = with_flag("--count", [&] { return parse_count_model(o.count); });
  const uint32_t hash = ber_hash(o.ber);
  const auto timed = [](const std::function<OutcomeCounts()>& body, OutcomeCounts& outcome) {
    const auto start = std::chrono::steady_clock::now();
    outcome = body();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  const auto repetition = [&](int64_t rep, int64_t& faults) {
    const FaultKey key{o.seed, hash, static_cast<uint32_t>(rep)};
    const std::vector<int64_t> counts = fault_counts(targets, model, o.ber, key);
    faults = 0;
    for (int64_t n : counts) faults += n;
    return evaluator->run_repetition(key, counts);
  };
  OutcomeCounts outcome;
  int64_t faults = 0, total_faults = 0, total_correct = 0;
  const std::vector<int64_t> zero(targets.groups().size(), 0);
  const FaultKey none{o.seed, hash, 0};
  // Faulty and zero-fault repetitions alternate, so that a drift of the machine (clocks, other work) falls on
  // both alike.
  repetition(o.campaign_reps, faults);  // warm-up, outside the timed fault sets
  evaluator->run_repetition(none, zero);
  std::vector<double> with_faults, without;
  for (int64_t rep = 0; rep < o.campaign_reps; ++rep) {
    with_faults.push_back(timed([&] { return repetition(rep, faults); }, outcome));
    total_faults += faults;
    total_correct += outcome.correct;
    without.push_back(timed([&] { return evaluator->run_repetition(none, zero); }, outcome));
    c.eval_only_mismatches += golden.images - outcome.masked;
  }
  c.repetition_ms = summarize_ms(with_faults);
  c.eval_only_ms = summarize_ms(without);
  c.faults_mean = static_cast<double>(total_faults) / static_cast<double>(o.campaign_reps);
  c.accuracy_mean = static_cast<double>(total_correct) / (images * static_cast<double>(o.campaign_reps));
  FT_CHECK(evaluator->parameter_checksum() == checksum,
           "parameters differ from the golden state after the campaign benchmark: restore failed");
  return c;
}

void run_bench(const BenchOptions& o) {
  const Device device = parse_device(o.device);
  require_device(device);
  const std::vector<int64_t> batches = parse_batch_list(o.batches);
  FT_CHECK(o.repeats > 0, "--repeats must be positive");
  FT_CHECK(o.ber >= 0.0 && o.ber <= 1.0, "--ber: {} is outside [0, 1]", o.ber);
  const double load = load_average();
  const std::string date = utc_now();
  Model model = load_model_from(o.model);
  Graph& graph = *model.graph;
  const Dataset data = load_dataset(o.data, "test", o.images);
  FT_CHECK(data.count > 0, "{}: no images", o.data);
  check_model_fits_data(graph.spec(), data);
  const Preprocessing& pre = model.info.preprocessing;
  const std::string checksum = graph.parameters().checksum_hex();

  std::string description;
  AlgorithmChoices algorithms;
  std::vector<StepTime> steps;
  const std::vector<InferenceResult> inference =
      bench_inference(graph, data, pre, device, batches, o, description, algorithms, steps);
  double steps_total = 0;
  for (const StepTime& s : steps) steps_total += s.ms;
  const auto layer_name = [&](const StepTime& s) {
    return graph.spec().layers[static_cast<size_t>(s.layer)].name;
  };
  const auto layer_type = [&](const StepTime& s) {
    return layer_type_name(graph.spec().layers[static_cast<size_t>(s.layer)].type);
  };
  // The inference runner is gone: the evaluator brings its own (and its own copy of the images).
  std::unique_ptr<CampaignBench> campaign;
  if (o.campaign_reps > 0)
    campaign = std::make_unique<CampaignBench>(bench_campaign(graph, data, pre, device, batches.front(), o));

  const double n = static_cast<double>(data.count);
  if (o.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const InferenceResult& r : inference) {
      rows.push_back({{"batch", r.batch},
                      {"tail_batch", tail_batch(data.count, r.batch)},
                      {"ms", timing_json(r.ms)},
                      {"images_per_second", r.ms.median > 0 ? n / (r.ms.median / 1000.0) : 0.0},
                      {"accuracy", r.correct / n},
                      {"non_finite", r.non_finite}});
    }
    nlohmann::json layers_json = nullptr;
    if (o.layers) {
      layers_json = {{"batch", batches.front()}, {"repeats", o.repeats}, {"total_ms", steps_total}};
      nlohmann::json& list = layers_json["steps"] = nlohmann::json::array();
      for (const StepTime& s : steps)
        list.push_back({{"layer", layer_name(s)}, {"type", layer_type(s)}, {"ms", s.ms}});
    }
    nlohmann::json campaign_json = nullptr;
    if (campaign) {
      const CampaignBench& c = *campaign;
      campaign_json = {
          {"ber", o.ber},
          {"count", o.count},
          {"seed", o.seed},
          {"targets", "all"},
          {"batch", c.batch},
          {"warmup", 1},
          {"repetitions", o.campaign_reps},
          {"faults_per_repetition", c.faults_mean},
          {"golden_accuracy", c.golden_accuracy},
          {"accuracy_mean", c.accuracy_mean},
          {"repetition_ms", timing_json(c.repetition_ms)},
          {"repetitions_per_second", c.repetition_ms.median > 0 ? 1000.0 / c.repetition_ms.median : 0.0},
          {"eval_only_ms", timing_json(c.eval_only_ms)},
          {"eval_only_mismatches", c.eval_only_mismatches},
          {"injection_restore_overhead",
           c.eval_only_ms.median > 0 ? c.repetition_ms.median / c.eval_only_ms.median - 1.0 : 0.0}};
    }
    print_json({{"command", "bench"},
                {"engine", "ftcnn"},
                {"version", version()},
                {"date", date},
                {"device", device_name(device)},
                {"device_name", description},
                {"cpu_model", cpu_model()},
                {"cpu_isa", cpu_isa()},
                {"hardware_threads", std::thread::hardware_concurrency()},
                {"load_average_1min", load},
                {"cuda", versions_json(device)},
                {"model", model.path},
                {"arch", graph.spec().arch},
                {"model_checksum", checksum},
                {"parameters", graph.parameters().total_elements()},
                {"macs_per_image", graph.macs_per_item()},
                {"data", data.source},
                {"images", data.count},
                {"batches", batches},
                {"warmup", o.warmup},
                {"repeats", o.repeats},
                {"inference", rows},
                {"algorithms", algorithms},
                {"layers", layers_json},
                {"campaign", campaign_json}});
    return;
  }
  fmt::print("ftcnn {} bench, {}: {} ({}, checksum {}) on {} images of {}\n", version(), description,
             model.path, graph.spec().arch, checksum, data.count, data.source);
  if (device == Device::cuda) {
    const CudaVersions v = cuda_versions();
    fmt::print("driver {}, runtime {}, cuDNN {}, cuBLAS {}\n", v.driver, v.runtime, v.cudnn, v.cublas);
  }
  fmt::print("{} warm-up and {} timed runs per batch size; milliseconds for all {} images\n", o.warmup,
             o.repeats, data.count);
  fmt::print("{:>7} {:>10} {:>10} {:>10} {:>12} {:>9}\n", "batch", "median", "min", "max", "images/s",
             "accuracy");
  for (const InferenceResult& r : inference) {
    fmt::print("{:>7} {:>10.2f} {:>10.2f} {:>10.2f} {:>12.0f} {:>8.2f}%\n", r.batch, r.ms.median, r.ms.min,
               r.ms.max, n / (r.ms.median / 1000.0), 100.0 * r.correct / n);
    if (tail_batch(data.count, r.batch) > 0)
      fmt::print("        (last batch of {} images: a second plan, made once on the first pass)\n",
                 tail_batch(data.count, r.batch));
  }
  if (o.layers) {
    fmt::print(
        "per step at batch {} (median of {} passes with a clock after every step; a fused step is "
        "shown at its last layer), {:.2f} ms in all:\n",
        batches.front(), o.repeats, steps_total);
    fmt::print("  {:<28} {:<12} {:>10} {:>7}\n", "layer", "type", "ms", "share");
    for (const StepTime& s : steps)
      fmt::print("  {:<28} {:<12} {:>10.2f} {:>6.1f}%\n", layer_name(s), layer_type(s), s.ms,
                 steps_total > 0 ? 100.0 * s.ms / steps_total : 0.0);
  }
  if (campaign) {
    const CampaignBench& c = *campaign;
    fmt::print("campaign at BER {:g} ({} count, {:.0f} faults/rep), batch {}, {} timed repetitions:\n", o.ber,
               o.count, c.faults_mean, c.batch, o.campaign_reps);
    fmt::print(
        "  repetition {:.2f} ms median ({:.2f} rep/s); evaluation alone {:.2f} ms; "
        "injection + restore overhead {:.1f} %\n",
        c.repetition_ms.median, 1000.0 / c.repetition_ms.median, c.eval_only_ms.median,
        100.0 * (c.repetition_ms.median / c.eval_only_ms.median - 1.0));
    if (c.eval_only_mismatches > 0)
      fmt::print(
          "  warning: {} image results changed in zero-fault repetitions (non-deterministic evaluation)\n",
          c.eval_only_mismatches);
  }
}

}  // namespace

void register_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* c = app.add_subcommand("bench", "Time inference and campaign repetitions (docs/performance.md)");
  add_model_options(*c, o->model);
  c->add_option("--data", o->data,
                "CIFAR binary or python folder, or an .npz/.h5 of images and labels (docs/datasets.md); its "
                "test split")
      ->required();
  c->add_option("--device", o->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  c->add_option("--batch", o->batches, "comma-separated batch sizes (default 1000)");
  c->add_option("--warmup", o->warmup, "untimed runs before the timed ones (default 2)")
      ->check(non_negative_integer());
  c->add_option("--repeats", o->repeats, "timed runs per batch size (default 5)")->check(positive_integer());
  c->add_option("--images", o->images, "use the first N test images (default: all)")
      ->check(positive_integer());
  c->add_option("--threads", o->threads, "CPU threads (default: all)")->check(non_negative_integer());
  c->add_option("--campaign-reps", o->campaign_reps,
                "also time R campaign repetitions, and R without faults (default 0: no campaign)")
      ->check(non_negative_integer());
  c->add_option("--ber", o->ber, "bit error rate of the campaign repetitions (default 1e-5)");
  c->add_option("--count", o->count, "faults per layer: paper or binomial (default paper)")
      ->check(CLI::IsMember({"paper", "binomial"}));
  c->add_option("--seed", o->seed, "campaign seed (default 1)")->check(seed_value());
  c->add_flag("--layers", o->layers,
              "also time each layer: --repeats more passes at the first batch size, timed after every step");
  c->add_flag("--json", o->json, "print one JSON object on stdout");
  c->callback([o] { run_bench(*o); });
}

}  // namespace ftcnn::cli
