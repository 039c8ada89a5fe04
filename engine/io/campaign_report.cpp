#include "engine/io/campaign_report.hpp"

#include <iterator>

#include "engine/error.hpp"
#include "engine/io/atomic_file.hpp"
#include "engine/io/svg_plot.hpp"

namespace ftcnn {
namespace {

// One CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// A real-valued CSV field: the shortest text that reads back to the same double, with a ".0" where it
// would look like an integer ("10" -> "10.0"), so that readers infer a float column for it.
std::string csv_real(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eEni") == std::string::npos) text += ".0";
  return text;
}

// The campaign's configuration as the leading columns of every summary.csv row, so that the summaries of
// several campaigns concatenate into one table.
// `selection` is "first" or "evenly spaced" (the header has it only in the second case).
constexpr const char* kConfigColumns[] = {"model",  "model_checksum", "arch",   "data",
                                          "images", "selection",      "device", "seed",
                                          "count",  "targets",        "version"};

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

  std::string config;
  for (const char* key : kConfigColumns) {
    const nlohmann::json value =
        std::string(key) == "selection" ? nlohmann::json(header.value(key, "first")) : header.at(key);
    config += csv_field(value.is_string() ? value.get<std::string>() : value.dump()) + ",";
  }
  config += csv_real(golden_accuracy) + ",";
  std::string csv;
  for (const char* key : kConfigColumns) csv += std::string(key) + ",";
  csv +=
      "golden_accuracy,ber,repetitions,faults_mean,accuracy_mean,accuracy_drop_mean,accuracy_drop_std,"
      "accuracy_drop_ci95_low,"
      "accuracy_drop_ci95_high,masked_rate,sdc_rate,sdc_ci95_low,sdc_ci95_high,due_rate,due_ci95_low,due_"
      "ci95_high\n";
  for (const BerSummary& s : result.summary) {
    const double trials = static_cast<double>(std::max<int64_t>(s.image_trials, 1));
    csv += config;
    csv += csv_real(s.ber) + fmt::format(",{},", s.repetitions);
    const double reals[] = {s.faults.mean,
                            s.accuracy.mean,
                            s.accuracy_drop.mean,
                            s.accuracy_drop.std,
                            s.accuracy_drop.ci95.low,
                            s.accuracy_drop.ci95.high,
                            static_cast<double>(s.masked) / trials,
                            static_cast<double>(s.sdc) / trials,
                            s.sdc_ci.low,
                            s.sdc_ci.high,
                            static_cast<double>(s.due) / trials,
                            s.due_ci.low,
                            s.due_ci.high};
    for (size_t i = 0; i < std::size(reals); ++i) csv += (i > 0 ? "," : "") + csv_real(reals[i]);
    csv += "\n";
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
