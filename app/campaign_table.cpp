#include "app/campaign_table.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/io/campaign_report.hpp"

namespace ftcnn::cli {

void print_campaign_table(const std::vector<BerSummary>& summary) {
  fmt::print("{:>10} {:>6} {:>10} {:>24} {:>9} {:>9} {:>9}\n", "BER", "reps", "faults",
             "accuracy drop [95% CI] (pp)", "masked", "SDC", "DUE");
  for (const BerSummary& b : summary) {
    const double trials = static_cast<double>(std::max<int64_t>(b.image_trials, 1));
    fmt::print("{:>10.3g} {:>6} {:>10.1f} {:>8.3f} [{:>6.3f}, {:>6.3f}] {:>8.3f}% {:>8.3f}% {:>8.3f}%\n",
               b.ber, b.repetitions, b.faults.mean, 100 * b.accuracy_drop.mean,
               100 * b.accuracy_drop.ci95.low, 100 * b.accuracy_drop.ci95.high, 100 * b.masked / trials,
               100 * b.sdc / trials, 100 * b.due / trials);
  }
}

nlohmann::json campaign_rows_json(const std::vector<BerSummary>& summary) {
  nlohmann::json rows = nlohmann::json::array();
  for (const BerSummary& b : summary) rows.push_back(summary_to_json(b));
  return rows;
}

}  // namespace ftcnn::cli
