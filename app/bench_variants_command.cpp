#include "app/bench_variants_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "app/bench_timing.hpp"
#include "app/cli_common.hpp"
#include "app/utc_time.hpp"
#include "engine/error.hpp"
#include "engine/evaluate.hpp"

namespace ftcnn::cli {
namespace {

struct VariantsOptions {
  ModelOptions model;
  std::vector<std::string> variants;
  std::string data;
  std::string device = "cpu";
  int64_t batch = 1000;
  int warmup = 2;
  int repeats = 5;
  int64_t images = 0;
  int threads = 0;
  bool json = false;
};

// One model under test: the file, its graph, its timer and what the rounds measured.
struct Contender {
  Model model;
  std::string name;
  std::unique_ptr<PassTimer> timer;
  std::vector<double> runs;
  std::vector<int32_t> predictions;
  int64_t correct = 0;
  int64_t non_finite = 0;
};

std::string short_name(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

void classify(Contender& c, const Dataset& data) {
  const int64_t classes = c.model.graph->spec().num_classes;
  const std::vector<float> logits = c.timer->logits();
  c.predictions.resize(static_cast<size_t>(data.count));
  for (int64_t i = 0; i < data.count; ++i) {
    const int32_t predicted = top1(logits.data() + i * classes, classes);
    c.predictions[static_cast<size_t>(i)] = predicted;
    if (predicted == kNoPrediction) ++c.non_finite;
    if (predicted == data.labels[static_cast<size_t>(i)]) ++c.correct;
  }
}

int64_t differences(const Contender& a, const Contender& b) {
  int64_t n = 0;
  for (size_t i = 0; i < a.predictions.size(); ++i) n += a.predictions[i] != b.predictions[i];
  return n;
}

double median_of(std::vector<double> values) {
  return summarize_ms(std::move(values)).median;
}

void run_bench_variants(const VariantsOptions& o) {
  const Device device = parse_device(o.device);
  require_device(device);
  FT_CHECK(!o.variants.empty(), "give at least one --variant to compare with --model");
  const double load = load_average();
  const std::string date = utc_now();
  const Dataset data = load_dataset(o.data, "test", o.images);
  FT_CHECK(data.count > 0, "{}: no images", o.data);

  std::vector<Contender> models;
  const auto add = [&](const ModelOptions& options) {
    Contender c;
    c.model = load_model_from(options);
    const ModelSpec& spec = c.model.graph->spec();
    FT_CHECK(spec.input == data.item, "model '{}' takes inputs {} but {} holds images {}", c.model.path,
             spec.input.str(), data.source, data.item.str());
    FT_CHECK(spec.num_classes == data.num_classes, "model '{}' has {} classes but {} has {}", c.model.path,
             spec.num_classes, data.source, data.num_classes);
    c.name = short_name(c.model.path);
    c.timer = make_pass_timer(*c.model.graph, data, c.model.info.preprocessing, device, o.threads);
    models.push_back(std::move(c));
  };
  add(o.model);
  for (const std::string& path : o.variants) add(ModelOptions{path, ""});

  const size_t m = models.size();
  const auto round = [&](int r, bool timed) {
    for (size_t k = 0; k < m; ++k) {
      Contender& c = models[(k + static_cast<size_t>(r)) % m];
      const double ms = c.timer->pass_ms(o.batch);
      if (timed) c.runs.push_back(ms);
    }
  };
  for (int r = 0; r < o.warmup; ++r) round(r, false);
  for (int r = 0; r < o.repeats; ++r) round(r, true);
  for (Contender& c : models) classify(c, data);

  const Contender& base = models.front();
  const double base_ms = median_of(base.runs);
  const auto base_params = static_cast<double>(base.model.graph->parameters().total_elements());
  const auto base_macs = static_cast<double>(base.model.graph->macs_per_item());
  const double n = static_cast<double>(data.count);
  nlohmann::json rows = nlohmann::json::array();
  for (const Contender& c : models) {
    std::vector<double> paired;
    for (size_t r = 0; r < c.runs.size(); ++r) paired.push_back(c.runs[r] / base.runs[r]);
    const Timing t = summarize_ms(c.runs);
    const Graph& g = *c.model.graph;
    rows.push_back({{"name", c.name},
                    {"model", c.model.path},
                    {"arch", g.spec().arch},
                    {"model_checksum", g.parameters().checksum_hex()},
                    {"parameters", g.parameters().total_elements()},
                    {"parameters_ratio", static_cast<double>(g.parameters().total_elements()) / base_params},
                    {"macs_per_image", g.macs_per_item()},
                    {"macs_ratio", static_cast<double>(g.macs_per_item()) / base_macs},
                    {"ms", timing_json(t)},
                    {"time_ratio", t.median / base_ms},
                    {"time_ratio_paired_median", median_of(paired)},
                    {"images_per_second", n / (t.median / 1000.0)},
                    {"accuracy", static_cast<double>(c.correct) / n},
                    {"non_finite", c.non_finite},
                    {"top1_differs_from_base", differences(c, base)},
                    {"algorithms", c.timer->algorithms()}});
  }

  if (o.json) {
    print_json({{"command", "bench-variants"},
                {"engine", "ftcnn"},
                {"version", version()},
                {"date", date},
                {"device", device_name(device)},
                {"device_name", base.timer->description()},
                {"cpu_model", cpu_model()},
                {"cpu_isa", cpu_isa()},
                {"hardware_threads", std::thread::hardware_concurrency()},
                {"load_average_1min", load},
                {"cuda", versions_json(device)},
                {"data", data.source},
                {"images", data.count},
                {"batch", o.batch},
                {"tail_batch", tail_batch(data.count, o.batch)},
                {"warmup", o.warmup},
                {"repeats", o.repeats},
                {"order", "interleaved, rotated every round"},
                {"models", rows}});
    return;
  }
  fmt::print("ftcnn {} bench-variants, {}: {} images of {}, batch {}, {} warm-up and {} timed rounds\n",
             version(), base.timer->description(), data.count, data.source, o.batch, o.warmup, o.repeats);
  fmt::print("{:<24} {:>12} {:>10} {:>10} {:>11} {:>11} {:>9} {:>10}\n", "model", "median ms", "time x",
             "paired x", "params x", "MACs x", "top-1", "top-1 diff");
  for (const nlohmann::json& r : rows) {
    fmt::print("{:<24} {:>12.2f} {:>10.3f} {:>10.3f} {:>11.3f} {:>11.3f} {:>8.2f}% {:>10}\n",
               r["name"].get<std::string>(), r["ms"]["median"].get<double>(), r["time_ratio"].get<double>(),
               r["time_ratio_paired_median"].get<double>(), r["parameters_ratio"].get<double>(),
               r["macs_ratio"].get<double>(), 100.0 * r["accuracy"].get<double>(),
               r["top1_differs_from_base"].get<int64_t>());
  }
}

}  // namespace

void register_bench_variants_command(CLI::App& app) {
  auto o = std::make_shared<VariantsOptions>();
  CLI::App* c = app.add_subcommand(
      "bench-variants",
      "Time model variants against a baseline, interleaved in one process (docs/performance.md)");
  add_model_options(*c, o->model);
  c->add_option("--variant", o->variants, "a variant's model file (repeat the flag for more)")->required();
  c->add_option("--data", o->data,
                "CIFAR binary or python folder, or an .npz/.h5 of images and labels (docs/datasets.md); its "
                "test split")
      ->required();
  c->add_option("--device", o->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  c->add_option("--batch", o->batch, "images per forward pass (default 1000)")->check(positive_integer());
  c->add_option("--warmup", o->warmup, "untimed rounds before the timed ones (default 2)")
      ->check(non_negative_integer());
  c->add_option("--repeats", o->repeats, "timed rounds (default 5)")->check(positive_integer());
  c->add_option("--images", o->images, "use the first N test images (default: all)")
      ->check(positive_integer());
  c->add_option("--threads", o->threads, "CPU threads (default: all)")->check(non_negative_integer());
  c->add_flag("--json", o->json, "print one JSON object on stdout");
  c->callback([o] { run_bench_variants(*o); });
}

}  // namespace ftcnn::cli
