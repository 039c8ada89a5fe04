#include "engine/io/campaign_report.hpp"

#include "engine/error.hpp"
#include "engine/io/atomic_file.hpp"
#include "engine/io/svg_plot.hpp"

namespace ftcnn {
namespace {

nlohmann::json sample_json(const SampleSummary& s) {
  return {{"n", s.n}, {"mean", s.mean}, {"std", s.std}, {"ci95", {s.ci95.low, s.ci95.high}}};
}

}  // namespace

nlohmann::json summary_to_json(const BerSummary& s) {
  const double trials = static_cast<double>(std::max<int64_t>(s.image_trials, 1));
  return {{"ber", s.ber},
          {"repetitions", s.repetitions},
          {"accuracy", sample_json(s.accuracy)},
          {"accuracy_drop", sample_json(s.accuracy_drop)},
          {"faults_per_repetition", sample_json(s.faults)},
          {"image_trials", s.image_trials},
          {"masked", s.masked},
          {"sdc", s.sdc},
          {"due", s.due},
          {"masked_rate", static_cast<double>(s.masked) / trials},
          {"sdc_rate", static_cast<double>(s.sdc) / trials},
          {"sdc_rate_wilson95", {s.sdc_ci.low, s.sdc_ci.high}},
          {"due_rate", static_cast<double>(s.due) / trials},
          {"due_rate_wilson95", {s.due_ci.low, s.due_ci.high}}};
}

void write_campaign_report(const std::string& out_dir, const nlohmann::json& header,
                           const CampaignResult& result) {
  nlohmann::json rows = nlohmann::json::array();
  for (const BerSummary& s : result.summary) rows.push_back(summary_to_json(s));
  const double golden_accuracy = static_cast<double>(result.golden.correct) /
                                 static_cast<double>(std::max<int64_t>(result.golden.images, 1));
  write_file_atomically(
      out_dir + "/summary.json",
      nlohmann::json{{"campaign", header}, {"golden_accuracy", golden_accuracy}, {"per_ber", rows}}.dump(2) +
          "\n");

  std::string csv;
  for (const char* key : {"seed", "count", "targets", "repetitions", "model", "model_checksum", "data",
                          "images", "device", "version"}) {
    csv +=
        fmt::format("# {}: {}\n", key,
                    header.at(key).is_string() ? header.at(key).get<std::string>() : header.at(key).dump());
  }
  csv += fmt::format("# golden_accuracy: {}\n", golden_accuracy);
  csv +=
      "ber,repetitions,faults_mean,accuracy_mean,accuracy_drop_mean,accuracy_drop_std,accuracy_drop_ci95_low,"
      "accuracy_drop_ci95_high,masked_rate,sdc_rate,sdc_ci95_low,sdc_ci95_high,due_rate,due_ci95_low,due_"
      "ci95_high\n";
  for (const BerSummary& s : result.summary) {
    const double trials = static_cast<double>(std::max<int64_t>(s.image_trials, 1));
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", s.ber, s.repetitions, s.faults.mean,
                       s.accuracy.mean, s.accuracy_drop.mean, s.accuracy_drop.std, s.accuracy_drop.ci95.low,
                       s.accuracy_drop.ci95.high, static_cast<double>(s.masked) / trials,
                       static_cast<double>(s.sdc) / trials, s.sdc_ci.low, s.sdc_ci.high,
                       static_cast<double>(s.due) / trials, s.due_ci.low, s.due_ci.high);
  }
  write_file_atomically(out_dir + "/summary.csv", csv);

  PlotSeries series{
      fmt::format("{} ({} count, {} reps)", header.at("arch").get<std::string>(),
                  header.at("count").get<std::string>(), header.at("repetitions").get<int64_t>()),
      {}};
  for (const BerSummary& s : result.summary) {
    series.points.push_back(PlotPoint{s.ber, 100 * s.accuracy_drop.mean, 100 * s.accuracy_drop.ci95.low,
                                      100 * s.accuracy_drop.ci95.high});
  }
  const PlotSpec spec{fmt::format("Accuracy drop vs bit error rate (seed {}, golden {:.2f} %)",
                                  header.at("seed").get<uint64_t>(), 100 * golden_accuracy),
                      "bit error rate", "accuracy drop (percentage points, mean and 95 % CI)", true};
  write_file_atomically(out_dir + "/accuracy_drop.svg", svg_plot(spec, {series}));
}

}  // namespace ftcnn
