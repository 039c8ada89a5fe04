#include "test/score_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ftcnn::test {

namespace {

double largest_magnitude(const std::vector<double>& values) {
  double largest = 0.0;
  for (double v : values) largest = std::max(largest, std::fabs(v));
  return largest;
}

}  // namespace

std::string compare_scores(const std::vector<double>& actual, const std::vector<double>& expected,
                           double rel) {
  if (actual.size() != expected.size())
    return fmt::format("{} scores, expected {}", actual.size(), expected.size());
  const double abs = 1e-6 * largest_magnitude(expected);
  double worst = 0.0;
  size_t worst_at = 0;
  for (size_t c = 0; c < actual.size(); ++c) {
    const double excess = std::fabs(actual[c] - expected[c]) - (abs + rel * std::fabs(expected[c]));
    if (!(excess <= worst)) {  // a NaN is the worst
      worst = std::isnan(excess) ? INFINITY : excess;
      worst_at = c;
    }
  }
  if (worst <= 0.0) return "";
  return fmt::format("channel {}: got {:.9g}, expected {:.9g} (rel {} + abs {:.3g})", worst_at,
                     actual[worst_at], expected[worst_at], rel, abs);
}

std::string check_ranking(const std::vector<int64_t>& ranking, const std::vector<double>& scores, double rel,
                          double abs_fraction) {
  const double abs = abs_fraction * largest_magnitude(scores);
  for (size_t r = 0; r + 1 < ranking.size(); ++r) {
    const double a = scores[static_cast<size_t>(ranking[r])], b = scores[static_cast<size_t>(ranking[r + 1])];
    if (a < b - rel * std::fabs(b) - abs - 1e-30) {
      return fmt::format("rank {}: channel {} ({:.9g}) before channel {} ({:.9g})", r, ranking[r], a,
                         ranking[r + 1], b);
    }
  }
  return "";
}

std::vector<double> to_double(const Tensor& t) {
  return std::vector<double>(t.values().begin(), t.values().end());
}

}  // namespace ftcnn::test
